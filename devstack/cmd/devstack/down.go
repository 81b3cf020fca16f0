package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/adpulse/adpulse/devstack"
	"github.com/adpulse/adpulse/devstack/proc"
)

// down stops the stack that up started: SIGTERM to its process group, SIGKILL to it and
// its children's groups after 10 s, then removes the state file.
func down(args []string) error {
	flags := flag.NewFlagSet("down", flag.ExitOnError)
	root := flags.String("root", "", "repository root (default: nearest go.mod)")
	_ = flags.Parse(args)
	if *root == "" {
		var err error
		if *root, err = devstack.FindRoot(); err != nil {
			return err
		}
	}
	path := statePath(*root)
	st, err := readState(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Println("nothing running")
		return nil
	}
	if err != nil {
		_ = os.Remove(path)
		return err
	}
	if proc.Alive(st.PID) {
		fmt.Printf("stopping the local stack (pid %d)...\n", st.PID)
		if err := proc.Signal(st.PID, syscall.SIGTERM); err != nil {
			return err
		}
		for deadline := time.Now().Add(10 * time.Second); proc.Alive(st.PID) &&
			time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Whatever is left gets SIGKILL: the stack itself and every child group.
	for _, pgid := range append([]int{st.PID}, st.Children...) {
		if proc.Alive(pgid) {
			_ = proc.Signal(pgid, syscall.SIGKILL)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove state: %w", err)
	}
	fmt.Println("stopped")
	return nil
}
