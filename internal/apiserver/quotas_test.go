package apiserver

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

func TestParseQuotaBody(t *testing.T) {
	cases := []struct {
		body string
		want model.QuotaLimits // nil: 400
	}{
		{`{}`, model.QuotaLimits{}},
		{`{"containers":5,"cpu":-1,"memory":"2048","disk":0}`, model.QuotaLimits{"containers": 5, "cpu": -1, "memory": 2048, "disk": 0}},
		{`{"containers":2147483647}`, model.QuotaLimits{"containers": 2147483647}},
		{`{"containers":2147483648}`, nil},
		{`{"containers":-2}`, nil},
		{`{"containers":"-2"}`, nil},
		{`{"containers":1.5}`, nil},
		{`{"containers":1e3}`, nil},
		{`{"containers":"5x"}`, nil},
		{`{"containers":""}`, nil},
		{`{"containers":null}`, nil},
		{`{"containers":true}`, nil},
		{`{"containers":{}}`, nil},
		{`{"instances":1}`, nil},
		{`{"project_id":"x"}`, nil},
	}
	for _, tc := range cases {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.body), &m); err != nil {
			t.Fatal(err)
		}
		got, err := parseQuotaBody(m)
		if tc.want == nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Errorf("%s: got %v, %v; want invalid argument", tc.body, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, %v; want %v", tc.body, got, err, tc.want)
		}
	}
}

func TestQuotaKey(t *testing.T) {
	for _, ok := range []string{"default", "0a1b2c3d4e5f", "my-project_1.x"} {
		if !quotaKeyRe.MatchString(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "-x", "a b", "a/b", string(make([]byte, 300))} {
		if quotaKeyRe.MatchString(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
