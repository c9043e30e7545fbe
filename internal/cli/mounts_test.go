package cli

import (
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/openzun/zun/api"
)

func TestParseMounts(t *testing.T) {
	files := map[string][]byte{"/tmp/conf": []byte("hello")}
	read := func(p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return b, nil
		}
		return nil, os.ErrNotExist
	}
	for _, tc := range []struct {
		name string
		args []string
		want []api.Mount
		err  bool
	}{
		{"volume", []string{"source=data,destination=/data"}, []api.Mount{{Source: "data", Destination: "/data"}}, false},
		{"size", []string{"size=2, destination=/new"}, []api.Mount{{Size: 2, Destination: "/new"}}, false},
		{"bind", []string{"type=bind,source=/tmp/conf,destination=/etc/conf"},
			[]api.Mount{{Type: "bind", Source: "aGVsbG8=", Destination: "/etc/conf"}}, false},
		{"two", []string{"source=a,destination=/a", "size=1,destination=/b"},
			[]api.Mount{{Source: "a", Destination: "/a"}, {Size: 1, Destination: "/b"}}, false},
		{"no destination", []string{"source=a"}, nil, true},
		{"no source or size", []string{"destination=/a"}, nil, true},
		{"unknown key", []string{"source=a,destination=/a,mode=ro"}, nil, true},
		{"duplicate key", []string{"source=a,source=b,destination=/a"}, nil, true},
		{"bad type", []string{"type=tmpfs,source=a,destination=/a"}, nil, true},
		{"bad size", []string{"size=x,destination=/a"}, nil, true},
		{"missing file", []string{"type=bind,source=/nope,destination=/a"}, nil, true},
		{"no equals", []string{"source"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMounts(tc.args, read)
			if tc.err {
				var ue *usageErr
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
