// Command gostd is the oracle for lint/go_json.py, lint/go_duration.py and lint/go_strconv.py: it runs the Go
// standard-library functions Velero applies to annotation values on each input and prints what Go returns.
//
// Usage: go run main.go MODE < inputs.jsonl
//
// MODE is json, duration or parsebool. Each stdin line is {"input": "..."}; each stdout line is one JSON object
// with the input echoed back and Go's answer:
//
//	json:      {"input", "argv", "error", "kind", "offset"}  (json.Unmarshal into []string)
//	duration:  {"input", "nanoseconds", "error"}              (time.ParseDuration)
//	parsebool: {"input", "value", "error"}                    (strconv.ParseBool)
//
// argv is null when there is an error or when Go leaves the slice nil (top-level null).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

type request struct {
	Input *string `json:"input"`
}

type jsonAnswer struct {
	Input  string   `json:"input"`
	Argv   []string `json:"argv"`
	Error  *string  `json:"error"`
	Kind   string   `json:"kind"`
	Offset *int64   `json:"offset"`
}

type durationAnswer struct {
	Input       string  `json:"input"`
	Nanoseconds *int64  `json:"nanoseconds"`
	Error       *string `json:"error"`
}

type parseBoolAnswer struct {
	Input string  `json:"input"`
	Value *bool   `json:"value"`
	Error *string `json:"error"`
}

func errorText(err error) *string {
	if err == nil {
		return nil
	}
	text := err.Error()
	return &text
}

func answerJSON(input string) any {
	var command []string
	err := json.Unmarshal([]byte(input), &command)
	answer := jsonAnswer{Input: input, Error: errorText(err), Kind: "ok"}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		answer.Argv = command
	case errors.As(err, &syntaxErr):
		answer.Kind = "syntax"
		answer.Offset = &syntaxErr.Offset
	case errors.As(err, &typeErr):
		answer.Kind = "type"
		answer.Offset = &typeErr.Offset
	default:
		answer.Kind = fmt.Sprintf("unexpected %T", err)
	}
	return answer
}

func answerDuration(input string) any {
	d, err := time.ParseDuration(input)
	answer := durationAnswer{Input: input, Error: errorText(err)}
	if err == nil {
		ns := int64(d)
		answer.Nanoseconds = &ns
	}
	return answer
}

func answerParseBool(input string) any {
	b, err := strconv.ParseBool(input)
	answer := parseBoolAnswer{Input: input, Error: errorText(err)}
	if err == nil {
		answer.Value = &b
	}
	return answer
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run main.go json|duration|parsebool < inputs.jsonl")
		os.Exit(2)
	}
	answers := map[string]func(string) any{
		"json":      answerJSON,
		"duration":  answerDuration,
		"parsebool": answerParseBool,
	}
	answer, ok := answers[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", os.Args[1])
		os.Exit(2)
	}

	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1024*1024), 256*1024*1024)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	encoder := json.NewEncoder(out)
	encoder.SetEscapeHTML(false)
	for line := 1; scanner.Scan(); line++ {
		var req request
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil || req.Input == nil {
			fmt.Fprintf(os.Stderr, "stdin line %d: want {\"input\": string}: %v\n", line, err)
			os.Exit(1)
		}
		if err := encoder.Encode(answer(*req.Input)); err != nil {
			fmt.Fprintf(os.Stderr, "stdin line %d: %v\n", line, err)
			os.Exit(1)
		}
	}
	if err := scanner.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "reading stdin:", err)
		os.Exit(1)
	}
}
