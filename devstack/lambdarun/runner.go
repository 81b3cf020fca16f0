package lambdarun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/proc"
	"github.com/adpulse/adpulse/devstack/template"
)

// Spec says how to run one function.
type Spec struct {
	Function  template.Function
	Package   string            // main package to build; default ./functions/<Folder>
	Instances int               // bootstrap processes; default 2
	ExtraEnv  map[string]string // added to the function's environment (tests)
}

// Runner runs functions on kumo. Create it with New; Close stops every bootstrap.
type Runner struct {
	root, stateDir, endpoint string
	port                     int
	client                   *lambda.Client
	log                      *slog.Logger

	mu      sync.Mutex
	funcs   map[string]template.Function // by physical name
	procs   map[*proc.Process]bool
	closing bool
	wg      sync.WaitGroup
}

// New returns a runner that builds under root, keeps binaries and logs under stateDir,
// and registers functions on the kumo at endpoint (listening on port).
func New(root, stateDir, endpoint string, port int, log *slog.Logger) *Runner {
	cfg := kumo.Config(endpoint)
	// One attempt: neither API Gateway nor an event source mapping repeats an invocation
	// behind the caller's back; the caller decides what a failed invocation means.
	cfg.RetryMaxAttempts = 1
	return &Runner{root: root, stateDir: stateDir, endpoint: endpoint, port: port,
		client: lambda.NewFromConfig(cfg), log: log,
		funcs: make(map[string]template.Function), procs: make(map[*proc.Process]bool)}
}

// Start builds the function, registers it on kumo and starts its bootstrap processes.
func (r *Runner) Start(ctx context.Context, s Spec) error {
	fn := s.Function
	if s.Package == "" {
		s.Package = "./functions/" + fn.Folder
	}
	if s.Instances <= 0 {
		s.Instances = 2
	}
	start := time.Now()
	bin, err := Build(ctx, r.root, s.Package, r.stateDir, fn.Folder)
	if err != nil {
		return err
	}
	if err := r.register(ctx, fn); err != nil {
		return err
	}
	logPath := filepath.Join(r.stateDir, "logs", fn.Folder+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return fmt.Errorf("log dir: %w", err)
	}
	env := r.environ(fn, s.ExtraEnv)
	r.mu.Lock()
	r.funcs[fn.Name] = fn
	r.mu.Unlock()
	for i := range s.Instances {
		stream := "AWS_LAMBDA_LOG_STREAM_NAME=local/" + strconv.Itoa(i)
		ienv := append(env[:len(env):len(env)], stream)
		p, err := r.spawn(bin, ienv, logPath)
		if err != nil {
			return fmt.Errorf("function %s: %w", fn.Name, err)
		}
		r.wg.Add(1)
		go r.supervise(fn.Name, i, p, bin, ienv, logPath)
	}
	r.log.Info("function running", "function", fn.Folder, "name", fn.Name,
		"instances", s.Instances, "log", logPath, "took", time.Since(start))
	return nil
}

// register creates the function on kumo, or updates it when it already exists.
func (r *Runner) register(ctx context.Context, fn template.Function) error {
	timeout := aws.Int32(int32(fn.Timeout / time.Second))
	memory := aws.Int32(int32(fn.MemoryMB))
	env := &lambdatypes.Environment{Variables: fn.Env}
	_, err := r.client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(fn.Name),
		Role:         aws.String(orDefault(fn.RoleARN, "arn:aws:iam::000000000000:role/local")),
		Runtime:      lambdatypes.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Code:         &lambdatypes.FunctionCode{ZipFile: []byte("local bootstrap process")},
		Timeout:      timeout, MemorySize: memory, Environment: env,
	})
	if errors.As(err, new(*lambdatypes.ResourceConflictException)) {
		_, err = r.client.UpdateFunctionConfiguration(ctx,
			&lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn.Name),
				Timeout: timeout, MemorySize: memory, Environment: env})
	}
	if err != nil {
		return fmt.Errorf("register function %s: %w", fn.Name, err)
	}
	return nil
}

// environ returns the environment of a bootstrap: the template's variables, then those
// Lambda itself sets, with the SDK pointed at kumo. The template's OTEL_* variables are
// left out: they point at the ADOT collector layer, which does not run locally, so the
// functions' tracing stays off (shared/tracing).
func (r *Runner) environ(fn template.Function, extra map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "TZ=:UTC", "LANG=en_US.UTF-8"}
	for k, v := range fn.Env {
		if strings.HasPrefix(k, "OTEL_") {
			continue
		}
		env = append(env, k+"="+v)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	host := "127.0.0.1:" + strconv.Itoa(r.port)
	return append(env,
		"AWS_LAMBDA_RUNTIME_API="+host+"/_runtime/"+fn.Name,
		"AWS_ENDPOINT_URL="+r.endpoint,
		"AWS_REGION="+kumo.Region, "AWS_DEFAULT_REGION="+kumo.Region,
		"AWS_ACCESS_KEY_ID="+kumo.AccessKey, "AWS_SECRET_ACCESS_KEY="+kumo.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_NAME="+fn.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/"+fn.Name,
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"_HANDLER=bootstrap",
	)
}

// supervise waits for bootstrap instance i (p) of function name and restarts it when
// it exits, until Close.
func (r *Runner) supervise(name string, i int, p *proc.Process, bin string, env []string,
	logPath string) {
	defer r.wg.Done()
	for {
		<-p.Done()
		r.mu.Lock()
		delete(r.procs, p)
		closing := r.closing
		r.mu.Unlock()
		if closing {
			return
		}
		r.log.Warn("bootstrap exited; restarting", "function", name, "instance", i,
			"err", p.Err())
		time.Sleep(200 * time.Millisecond)
		var err error
		if p, err = r.spawn(bin, env, logPath); err != nil {
			if !r.isClosing() {
				r.log.Error("bootstrap restart", "function", name, "instance", i, "err", err)
			}
			return
		}
	}
}

// isClosing reports whether Close has begun.
func (r *Runner) isClosing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing
}

// spawn starts one bootstrap process unless the runner is closing.
func (r *Runner) spawn(bin string, env []string, logPath string) (*proc.Process, error) {
	logf, err := proc.OpenLog(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin)
	cmd.Env, cmd.Dir = env, filepath.Dir(bin)
	cmd.Stdout, cmd.Stderr = logf, logf
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return nil, errors.New("runner closing")
	}
	p, err := proc.Start(cmd)
	if err != nil {
		return nil, err
	}
	r.procs[p] = true
	return p, nil
}

// PIDs returns the process ids (and process group ids) of the running bootstraps.
func (r *Runner) PIDs() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var pids []int
	for p := range r.procs {
		pids = append(pids, p.PID())
	}
	return pids
}

// Close stops every bootstrap and waits for their supervisors.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closing = true
	procs := make([]*proc.Process, 0, len(r.procs))
	for p := range r.procs {
		procs = append(procs, p)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { _ = p.Stop(2 * time.Second) })
	}
	wg.Wait()
	r.wg.Wait()
	return nil
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// isNoHandler reports whether err is kumo's answer for a function no bootstrap has
// polled for yet.
func isNoHandler(err error) bool {
	return err != nil && strings.Contains(err.Error(), "has no runtime handler")
}
