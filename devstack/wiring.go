package devstack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/devstack/apigw"
	"github.com/adpulse/adpulse/devstack/esm"
	"github.com/adpulse/adpulse/devstack/lambdarun"
	"github.com/adpulse/adpulse/devstack/template"
)

// Bootstrap processes per function: an API-facing function gets enough for concurrent
// HTTP senders; a stream consumer needs one per shard.
const (
	apiInstances    = 4
	streamInstances = 2
)

// startFunctions builds and starts every function of the template, concurrently.
func (s *Stack) startFunctions(ctx context.Context) error {
	fns, err := s.vals.Functions()
	if err != nil {
		return err
	}
	apiFns := make(map[string]bool)
	apis, err := s.vals.APIs()
	if err != nil {
		return err
	}
	for _, api := range apis {
		for _, r := range api.Routes {
			apiFns[r.FunctionID] = true
		}
	}
	s.runner = lambdarun.New(s.cfg.Root, s.cfg.StateDir, s.Endpoint(), s.kumo.Port(), s.cfg.Log)
	var wg sync.WaitGroup
	errs := make([]error, len(fns))
	for i, fn := range fns {
		spec := lambdarun.Spec{Function: fn, Package: s.cfg.Packages[fn.Folder],
			Instances: streamInstances, ExtraEnv: withEnv(localEnv(fn.Folder), s.cfg.Env)}
		if apiFns[fn.LogicalID] {
			spec.Instances = apiInstances
		}
		wg.Go(func() { errs[i] = s.runner.Start(ctx, spec) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// startMappings starts an event source mapping for each Kinesis mapping of the template.
func (s *Stack) startMappings(ctx context.Context, kin *kinesis.Client, q *sqs.Client) error {
	ms, err := s.vals.Mappings()
	if err != nil {
		return err
	}
	fns, err := s.vals.Functions()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if s.tpl.Resources[m.SourceID].Type == template.TypeQueue {
			s.startQueueMapping(ctx, m, q)
			continue
		}
		if s.tpl.Resources[m.SourceID].Type != template.TypeStream {
			s.cfg.Log.Warn("event source mapping skipped: only Kinesis and SQS run locally",
				"mapping", m.LogicalID, "source", m.SourceARN)
			continue
		}
		cfg := esm.Config{StreamName: s.vals.Name(m.SourceID), StreamARN: m.SourceARN,
			Region: template.Region, BatchSize: m.BatchSize, Window: m.Window,
			Bisect: m.Bisect, MaxRetries: m.MaxRetries, MaxRecordAge: m.MaxRecordAge,
			ReportItemErrors: m.ReportItemErrors, StartingPosition: m.StartingPosition,
			StartTimestamp: m.StartTimestamp, Redeliver: s.cfg.Redeliver}
		for _, fn := range fns {
			if fn.LogicalID == m.FunctionID {
				cfg.FunctionName, cfg.FunctionARN, cfg.RoleARN = fn.Name, fn.ARN, fn.RoleARN
			}
		}
		if m.OnFailureID != "" {
			if s.tpl.Resources[m.OnFailureID].Type != template.TypeQueue {
				return fmt.Errorf("mapping %s: only SQS on-failure destinations run locally",
					m.LogicalID)
			}
			cfg.OnFailureURL = s.vals.Name(m.OnFailureID)
		}
		mapping := esm.New(cfg, kin, s.runner, q, s.cfg.Log)
		if err := mapping.Start(ctx); err != nil {
			return err
		}
		s.mappings = append(s.mappings, mapping)
	}
	return nil
}

// startAPI serves the template's REST API on the configured port.
func (s *Stack) startAPI() error {
	apis, err := s.vals.APIs()
	if err != nil || len(apis) == 0 {
		return err
	}
	if len(apis) > 1 {
		s.cfg.Log.Warn("only the first REST API is served", "apis", len(apis))
	}
	fns, err := s.vals.Functions()
	if err != nil {
		return err
	}
	names := make(map[string]string, len(fns))
	for _, fn := range fns {
		names[fn.LogicalID] = fn.Name
	}
	s.api = apigw.New(apis[0], names, s.runner, s.cfg.Log)
	if err := s.api.Start(addr(s.cfg.APIPort)); err != nil {
		return fmt.Errorf("api: %w (port taken? make down)", err)
	}
	return nil
}

// ESM returns the counters of every event source mapping, summed.
func (s *Stack) ESM() esm.Stats {
	var st esm.Stats
	for _, m := range s.mappings {
		st = st.Add(m.Stats())
	}
	return st
}

// WaitSettled waits until no API request is in flight and every event source mapping
// has delivered all it can read, and both stayed so for quiet: every event accepted
// before the call has then reached its table (or the on-failure queue).
func (s *Stack) WaitSettled(ctx context.Context, quiet time.Duration) error {
	return esm.WaitIdle(ctx, quiet, s.probe)
}

// probe merges the state of the API and the mappings for WaitSettled.
func (s *Stack) probe() esm.Probe {
	p := esm.Probe{LastEmpty: time.Unix(1<<40, 0)}
	for _, m := range s.mappings {
		p = p.Merge(m.Probe())
	}
	p = s.queues.merge(p)
	if len(s.mappings) == 0 {
		p.LastEmpty = time.Now()
	}
	if s.api != nil {
		p.Busy = p.Busy || s.api.InFlight() > 0
		if last := s.api.LastRequest(); last.After(p.LastActivity) {
			p.LastActivity = last
		}
	}
	return p
}

// withEnv returns local with extra set over it: local itself when extra is empty, else a
// new map.
func withEnv(local, extra map[string]string) map[string]string {
	if len(extra) == 0 {
		return local
	}
	out := make(map[string]string, len(local)+len(extra))
	maps.Copy(out, local)
	maps.Copy(out, extra)
	return out
}
