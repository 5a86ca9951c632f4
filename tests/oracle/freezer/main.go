// Command freezer is the test oracle for lint/freezer.py: it parses argv lists exactly the way
// KubeVirt's virt-freezer does (spf13/pflag, the five flags of cmd/virt-freezer parseFlags) and
// reports what pflag saw, so the Python emulation can be checked against the real library
// instead of against our reading of it.
//
// Input: JSON lines {"args": [...]} on stdin (argv without the program name).
// Output: one JSON line per input with the final flag values, every flag occurrence in order,
// the positional arguments, pflag's error text, and virt-freezer's validation outcome.
//
// Build without modules, against Debian's golang-github-spf13-pflag-dev:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o freezer-oracle .
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
)

// freezerFlags mirrors the flag definitions in virt-freezer's parseFlags, on a private FlagSet
// instead of pflag.CommandLine so that each argv starts from the defaults.
type freezerFlags struct {
	fs                     *pflag.FlagSet
	freeze                 *bool
	unfreeze               *bool
	name                   *string
	namespace              *string
	unfreezeTimeoutSeconds *int32
}

func newFreezerFlags(handling pflag.ErrorHandling) freezerFlags {
	fs := pflag.NewFlagSet("virt-freezer", handling)
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	return freezerFlags{
		fs:                     fs,
		freeze:                 fs.Bool("freeze", false, "Freeze VM"),
		unfreeze:               fs.Bool("unfreeze", false, "Unfreeze VM"),
		name:                   fs.String("name", "", "Name of the VirtualMachineInstance"),
		namespace:              fs.String("namespace", "", "Namespace of the VirtualMachineInstance"),
		unfreezeTimeoutSeconds: fs.Int32("unfreezeTimeoutSeconds", 300, "Timeout in seconds to automatically unfreeze the VirtualMachineInstance"),
	}
}

type input struct {
	Args []string `json:"args"`
}

type result struct {
	Args                   []string    `json:"args"`
	Freeze                 bool        `json:"freeze"`
	Unfreeze               bool        `json:"unfreeze"`
	Name                   string      `json:"name"`
	Namespace              string      `json:"namespace"`
	UnfreezeTimeoutSeconds int32       `json:"unfreezeTimeoutSeconds"`
	Uses                   [][2]string `json:"uses"`
	Positional             []string    `json:"positional"`
	Error                  *string     `json:"error"`
	Validation             *string     `json:"validation"`
	ExitCode               int         `json:"exit_code"`
}

func errorText(err error) *string {
	if err == nil {
		return nil
	}
	text := err.Error()
	return &text
}

// exitOnErrorText returns the error that Parse hands to its ExitOnError branch (which prints it
// with fmt.Println and exits 2). PanicOnError runs the same code up to that switch and panics
// with the very error instead, so recovering it shows what ExitOnError would print.
func exitOnErrorText(args []string) (text *string) {
	f := newFreezerFlags(pflag.PanicOnError)
	defer func() {
		if r := recover(); r != nil {
			err, ok := r.(error)
			if !ok {
				panic(r)
			}
			text = errorText(err)
		}
	}()
	f.fs.Parse(args)
	return nil
}

func sameText(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// validate repeats virt-freezer's checks after a successful parse.
func validate(f freezerFlags) *string {
	var err error
	if !*f.freeze && !*f.unfreeze {
		err = errors.New("either --freeze or --unfreeze must be set")
	} else if *f.name == "" || *f.namespace == "" {
		err = errors.New("both --name and --namespace must be provided")
	}
	return errorText(err)
}

func evaluate(args []string) (result, error) {
	f := newFreezerFlags(pflag.ContinueOnError)
	parseErr := errorText(f.fs.Parse(args))

	if printed := exitOnErrorText(args); !sameText(parseErr, printed) {
		return result{}, fmt.Errorf("ContinueOnError and ExitOnError disagree on %q", args)
	}

	// ParseAll runs the same parser but calls back for every flag occurrence, in argv order,
	// which Visit (set flags only, once each) cannot show.
	recorder := newFreezerFlags(pflag.ContinueOnError)
	uses := [][2]string{}
	allErr := errorText(recorder.fs.ParseAll(args, func(flag *pflag.Flag, value string) error {
		uses = append(uses, [2]string{flag.Name, value})
		return recorder.fs.Set(flag.Name, value)
	}))
	if !sameText(parseErr, allErr) {
		return result{}, fmt.Errorf("Parse and ParseAll disagree on %q", args)
	}

	r := result{
		Args:                   args,
		Freeze:                 *f.freeze,
		Unfreeze:               *f.unfreeze,
		Name:                   *f.name,
		Namespace:              *f.namespace,
		UnfreezeTimeoutSeconds: *f.unfreezeTimeoutSeconds,
		Uses:                   uses,
		Positional:             f.fs.Args(),
		Error:                  parseErr,
	}
	switch {
	case parseErr != nil:
		r.ExitCode = 2
	default:
		r.Validation = validate(f)
		if r.Validation != nil {
			r.ExitCode = 1
		}
	}
	return r, nil
}

func run(in io.Reader, out io.Writer) error {
	decoder := json.NewDecoder(in)
	writer := bufio.NewWriter(out)
	encoder := json.NewEncoder(writer)
	encoder.SetEscapeHTML(false)
	for {
		var req input
		if err := decoder.Decode(&req); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if req.Args == nil {
			req.Args = []string{}
		}
		r, err := evaluate(req.Args)
		if err != nil {
			return err
		}
		if err := encoder.Encode(r); err != nil {
			return err
		}
	}
	return writer.Flush()
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "freezer oracle:", err)
		os.Exit(1)
	}
}
