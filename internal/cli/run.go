package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/openzun/zun/api"
	"github.com/openzun/zun/client"
)

// Exit codes: 0 success, 1 failed request, 2 bad usage (as argparse).
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Run executes the zun command line args, writing to stdout and stderr,
// and returns the process exit code. The environment is read from os.
func Run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdout, stderr, os.Getenv)
}

// app is the state shared by the commands of one invocation.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	g              globals
	// running is set once a command's RunE starts: errors before are
	// usage errors.
	running bool
	// exitCode is the code of a command that sets its own (exec).
	exitCode int
	cl       *client.Client
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return a.exitCode
	}
	return a.report(err)
}

// usageErr marks a command line mistake (exit 2).
type usageErr struct{ err error }

func (e *usageErr) Error() string { return e.err.Error() }
func (e *usageErr) Unwrap() error { return e.err }

func usageError(err error) error { return &usageErr{err} }

func usagef(format string, args ...any) error { return usageError(fmt.Errorf(format, args...)) }

// errReported means the command already printed its failures.
var errReported = errors.New("one or more requests failed")

func (a *app) report(err error) int {
	if errors.Is(err, errReported) {
		return exitError
	}
	var ue *usageErr
	if errors.As(err, &ue) || !a.running {
		fmt.Fprintf(a.stderr, "ERROR: %s\nTry 'zun help' for more information.\n", err)
		return exitUsage
	}
	fmt.Fprintf(a.stderr, "ERROR: %s\n", errorText(err))
	return exitError
}

// errorText renders err as python-zunclient does:
// "<detail> (HTTP <status>) (Request-ID: <id>)".
func errorText(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		s := ae.Error()
		if ae.RequestID != "" {
			s += " (Request-ID: " + ae.RequestID + ")"
		}
		return s
	}
	return err.Error()
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "zun",
		Short:         "Command-line interface to the OpenStack Zun API",
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.running = true
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.CompletionOptions.DisableDefaultCmd = true
	a.g.register(root)
	for _, add := range []func(*cobra.Command){
		a.addContainerCommands, a.addLifecycleCommands, a.addOpsCommands,
		a.addActionCommands, a.addHostCommands, a.addServiceCommands,
		a.addZoneCommands, a.addVersionCommands, a.addQuotaCommands, a.addCapsuleCommands, a.addImageCommands, a.addRegistryCommands,
		a.addNetworkCommands,
	} {
		add(root)
	}
	return root
}

// client builds the API client once per invocation from clouds.yaml, the
// environment and the global flags, in that order.
func (a *app) client(ctx context.Context) (*client.Client, error) {
	if a.cl != nil {
		return a.cl, nil
	}
	var cfg client.Config
	if cloud := first(a.g.cloud, a.getenv("OS_CLOUD")); cloud != "" {
		c, err := client.LoadCloud(cloud, client.CloudsPaths(a.getenv))
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	env, err := client.ConfigFromEnv(a.getenv)
	if err != nil {
		return nil, err
	}
	// python-zunclient's own variables.
	env.APIVersion = first(env.APIVersion, a.getenv("ZUN_API_VERSION"))
	env.Endpoint = first(env.Endpoint, a.getenv("BYPASS_URL"))
	if v := strings.ToLower(a.getenv("ZUNCLIENT_INSECURE")); v == "1" || v == "true" {
		env.Insecure = true
	}
	cfg = cfg.Merge(env).Merge(a.g.config())
	cfg.UserAgent = "zun-cli"
	if a.g.debug {
		cfg.Logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cl, err := client.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a.cl = cl
	return cl, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// printf writes command output.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}

// each runs fn for every container id, printing python-zunclient's
// per-item messages; failures go to stderr and make the command exit 1.
func (a *app) each(ids []string, verb string, fn func(id string) error) error {
	return a.eachOf("container", ids, verb, capitalize(verb), fn)
}

// eachMsg is each with a distinct wording of the failure message.
func (a *app) eachMsg(ids []string, verb, failVerb string, fn func(id string) error) error {
	return a.eachOf("container", ids, verb, failVerb, fn)
}

// eachOf is each for objects of any kind ("image", "capsule").
func (a *app) eachOf(kind string, ids []string, verb, failVerb string, fn func(id string) error) error {
	failed := false
	for _, id := range ids {
		if err := fn(id); err != nil {
			failed = true
			fmt.Fprintf(a.stderr, "%s for %s %s failed: %s\n", failVerb, kind, id, errorText(err))
			continue
		}
		a.printf("Request to %s %s %s has been accepted.\n", verb, kind, id)
	}
	if failed {
		return errReported
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// args validators returning usage errors.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("expected %s, got %d argument(s)", names, len(args))
		}
		return nil
	}
}

func minArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("expected %s", names)
		}
		return nil
	}
}
