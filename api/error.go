package api

import (
	"fmt"
	"strings"
)

// Error is one entry of Zun's error envelope. Detail is the message meant for
// users; internal causes are logged by the server, never sent.
type Error struct {
	RequestID string `json:"request_id"`
	Code      string `json:"code"`
	Status    int    `json:"status"`
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	Links     []any  `json:"links"`
	// MinVersion and MaxVersion are set on 406 microversion errors.
	MinVersion string `json:"min_version,omitempty"`
	MaxVersion string `json:"max_version,omitempty"`
}

// ErrorEnvelope is the body of every error response:
// {"errors":[{...}]}.
type ErrorEnvelope struct {
	Errors []Error `json:"errors"`
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Detail, e.Status)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.Title, e.Status)
}

// ErrorCode builds the code of an error envelope entry from a category name,
// for example "not-found" becomes "container.not-found".
func ErrorCode(category string) string {
	return "container." + strings.ToLower(category)
}
