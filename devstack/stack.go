package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/adpulse/adpulse/devstack/apigw"
	"github.com/adpulse/adpulse/devstack/esm"
	"github.com/adpulse/adpulse/devstack/kumo"
	"github.com/adpulse/adpulse/devstack/lambdarun"
	"github.com/adpulse/adpulse/devstack/provision"
	"github.com/adpulse/adpulse/devstack/template"
)

// TemplatePath is where make synth writes the template, relative to the repository root.
const TemplatePath = "cdk.out/AdpulseStack.template.json"

// Config says where to find things and where to listen. Zero values take the defaults
// noted on each field.
type Config struct {
	Root      string       // repository root; default: the nearest go.mod above the cwd
	KumoBin   string       // default $KUMO_BIN, else <Root>/bin/kumo
	KumoPort  int          // 0: a free port
	APIPort   int          // 0: a free port
	Template  string       // default <Root>/cdk.out/AdpulseStack.template.json
	Redeliver bool         // the event source mapping delivers every batch twice
	Log       *slog.Logger // default: text to stderr
	StateDir  string       // binaries and logs; default <Root>/.devstack

	// Packages overrides the main package built for a function folder (tests run a
	// stand-in function this way), e.g. {"ingest": "./devstack/testdata/echo"}.
	Packages map[string]string

	// Env is added to the environment of every function, over the template's and the
	// local stack's own (tests lower limits this way, e.g. {"USER_RATE_LIMIT": "3"}).
	Env map[string]string
}

// Stack is a running local stack.
type Stack struct {
	cfg      Config
	tpl      *template.Template
	vals     *template.Values
	kumo     *kumo.Server
	runner   *lambdarun.Runner
	mappings []*esm.Mapping
	queues   queueMappings // SQS event source mappings (queues.go)
	api      *apigw.Server
	dynamo   *dynamodb.Client
	secrets  *secretsmanager.Client

	closeOnce sync.Once
	closeErr  error
}

// Start starts kumo, provisions the template's resources, runs its functions, and
// starts the event source mappings and the API proxy. On error nothing is left running.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	begin := time.Now()
	if cfg, err = withDefaults(cfg); err != nil {
		return nil, err
	}
	tpl, err := template.Load(cfg.Template)
	if err != nil {
		return nil, fmt.Errorf("%w (run make synth)", err)
	}
	if err := os.MkdirAll(filepath.Join(cfg.StateDir, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	s := &Stack{cfg: cfg, tpl: tpl}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()

	// The emulator, then the resources on it.
	logPath := filepath.Join(cfg.StateDir, "logs", "kumo.log")
	if s.kumo, err = kumo.Start(ctx, cfg.KumoBin, cfg.KumoPort, logPath); err != nil {
		return nil, fmt.Errorf("kumo: %w", err)
	}
	awsCfg := kumo.Config(s.kumo.Endpoint())
	kin, q := kinesis.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg)
	s.dynamo = dynamodb.NewFromConfig(awsCfg)
	s.secrets = secretsmanager.NewFromConfig(awsCfg)
	s.vals = template.NewValues(tpl, s.kumo.Endpoint())
	clients := provision.Clients{Kinesis: kin, DynamoDB: s.dynamo, SQS: q,
		Secrets: s.secrets, Endpoint: s.kumo.Endpoint()}
	if err := provision.Provision(ctx, clients, tpl, s.vals, cfg.Log); err != nil {
		return nil, err
	}
	if err := s.putSigningKey(ctx); err != nil {
		return nil, err
	}
	if err := s.provisionEmail(ctx); err != nil {
		return nil, err
	}

	// Functions, the event source mappings feeding them, the API in front of them.
	if err := s.startFunctions(ctx); err != nil {
		return nil, err
	}
	if err := s.startMappings(ctx, kin, q); err != nil {
		return nil, err
	}
	if err := s.startAPI(); err != nil {
		return nil, err
	}
	cfg.Log.Info("stack up", "kumo", s.Endpoint(), "api", s.APIURL(),
		"took", time.Since(begin).Round(time.Millisecond))
	return s, nil
}

// withDefaults fills in the zero fields of cfg.
func withDefaults(cfg Config) (Config, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.Root == "" {
		root, err := FindRoot()
		if err != nil {
			return cfg, err
		}
		cfg.Root = root
	}
	if cfg.KumoBin == "" {
		bin, err := kumo.FindBin(cfg.Root)
		if err != nil {
			return cfg, err
		}
		cfg.KumoBin = bin
	}
	if cfg.Template == "" {
		cfg.Template = filepath.Join(cfg.Root, TemplatePath)
	}
	if cfg.StateDir == "" {
		cfg.StateDir = filepath.Join(cfg.Root, ".devstack")
	}
	return cfg, nil
}

// FindRoot returns the nearest directory at or above the working directory that holds
// a go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Endpoint returns kumo's URL, e.g. http://127.0.0.1:4566.
func (s *Stack) Endpoint() string { return s.kumo.Endpoint() }

// APIURL returns the API's base URL without a trailing slash, e.g.
// http://127.0.0.1:3000 (routes also answer under /prod); empty when there is no REST API.
func (s *Stack) APIURL() string {
	if s.api == nil {
		return ""
	}
	return s.api.URL()
}

// Physical returns the physical value (the Ref) of the resource whose logical id starts
// with prefix: Physical("Aggregates") is the table name, Physical("IngestFailures") the
// queue URL. It returns "" when no single resource matches.
func (s *Stack) Physical(prefix string) string {
	id, err := s.tpl.FindByPrefix(prefix)
	if err != nil {
		return ""
	}
	return s.vals.Name(id)
}

// Template returns the template and its resolved local values.
func (s *Stack) Template() (*template.Template, *template.Values) { return s.tpl, s.vals }

// PIDs returns the process group ids of everything the stack runs: kumo and every
// bootstrap.
func (s *Stack) PIDs() []int {
	var pids []int
	if s.kumo != nil {
		pids = append(pids, s.kumo.PID())
	}
	if s.runner != nil {
		pids = append(pids, s.runner.PIDs()...)
	}
	return pids
}

// Close stops the API, the mappings, the functions and kumo, in that order. It is safe
// to call more than once.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.api != nil {
			errs = append(errs, s.api.Close())
		}
		for _, m := range s.mappings {
			m.Close()
		}
		s.queues.close()
		if s.runner != nil {
			errs = append(errs, s.runner.Close())
		}
		if s.kumo != nil {
			errs = append(errs, s.kumo.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// addr returns the loopback listen address of port (0: any free port).
func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// LogPath returns the log file of a function folder's bootstraps.
func (s *Stack) LogPath(folder string) string {
	return filepath.Join(s.cfg.StateDir, "logs", folder+".log")
}

// LastActivity returns when the API last answered or a mapping last delivered a batch.
func (s *Stack) LastActivity() time.Time { return s.probe().LastActivity }
