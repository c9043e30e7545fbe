// Package httpjson writes JSON answers for the OpenStack-style services
// mounted beside the Zun API (Neutron and Cinder subsets), which have their
// own error bodies but answer the same way.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Write answers status with body as JSON; a nil body answers the status
// alone, a body that cannot be encoded answers 500.
func Write(w http.ResponseWriter, status int, body any) {
	if body == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
