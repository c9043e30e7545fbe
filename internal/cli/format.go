package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
)

// Output formats of the -f/--format flag.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatYAML  = "yaml"
)

// field is one top-level key of a JSON object, in document order.
type field struct {
	key string
	raw json.RawMessage
}

// fieldsOf returns the JSON fields of v in the order they are encoded, so
// that show tables list properties in the server's view order.
func fieldsOf(v any) ([]field, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("failed to encode: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("failed to decode: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("failed to decode: not a JSON object")
	}
	var out []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("failed to decode: %w", err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("failed to decode: %w", err)
		}
		out = append(out, field{key, raw})
	}
	return out, nil
}

// render prints a JSON value like python-zunclient: strings bare, null as
// None, booleans as True/False, maps and lists as compact JSON.
func render(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return "None"
	case s == "true":
		return "True"
	case s == "false":
		return "False"
	case strings.HasPrefix(s, `"`):
		var v string
		if json.Unmarshal(raw, &v) == nil {
			return v
		}
	}
	return s
}

// renderAny renders a Go value with render.
func renderAny(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return render(b)
}

// printDict prints fields as a Property/Value table.
func printDict(w io.Writer, fields []field) error {
	t := newTable("Property", "Value")
	for _, f := range fields {
		t.add(f.key, render(f.raw))
	}
	return t.write(w)
}

// printObject prints v as a Property/Value table in the chosen format.
func printObject(w io.Writer, format string, v any) error {
	if format != formatTable {
		return printData(w, format, v)
	}
	fields, err := fieldsOf(v)
	if err != nil {
		return err
	}
	return printDict(w, fields)
}

// printData prints v as indented JSON with sorted keys (like
// jsonutils.dumps(..., indent=4, sort_keys=True)) or as YAML.
func printData(w io.Writer, format string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("failed to encode: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return fmt.Errorf("failed to decode: %w", err)
	}
	var out []byte
	switch format {
	case formatJSON:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "    ")
		if err := enc.Encode(generic); err != nil {
			return fmt.Errorf("failed to encode JSON: %w", err)
		}
		out = buf.Bytes()
	case formatYAML:
		if out, err = yaml.Marshal(numbers(generic)); err != nil {
			return fmt.Errorf("failed to encode YAML: %w", err)
		}
	default:
		return fmt.Errorf("unknown format %q", format)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("failed to write output: %w", err)
	}
	return nil
}

// numbers turns json.Number leaves into int64 or float64 for YAML.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	}
	return v
}

// addFormatFlag adds -f/--format (table, json, yaml) to cmd; short reports
// whether the -f shorthand is free on this command.
func addFormatFlag(cmd *cobra.Command, dst *string, short bool) {
	usage := "Output format: table, json or yaml"
	if short {
		cmd.Flags().StringVarP(dst, "format", "f", formatTable, usage)
	} else {
		cmd.Flags().StringVar(dst, "format", formatTable, usage)
	}
}

func checkFormat(f string) error {
	switch f {
	case formatTable, formatJSON, formatYAML:
		return nil
	}
	return usageError(fmt.Errorf("invalid --format %q: choose from table, json, yaml", f))
}
