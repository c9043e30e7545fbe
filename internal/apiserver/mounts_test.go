package apiserver

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

func TestDecodeMounts(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte("content"))
	for _, tc := range []struct {
		name  string
		body  string
		minor int
		want  []model.Mount
	}{
		{"existing volume", `[{"source":"data","destination":"/data"}]`, 11,
			[]model.Mount{{Type: "volume", VolumeID: "data", Destination: "/data"}}},
		{"new volume, size as zunclient sends it", `[{"size":"2","destination":"/new/"}]`, 11,
			[]model.Mount{{Type: "volume", Size: 2, AutoRemove: true, Destination: "/new/"}}},
		{"bind", `[{"type":"bind","source":"` + b64 + `","destination":"/etc/a.conf"}]`, 23,
			[]model.Mount{{Type: "bind", Content: b64, Destination: "/etc/a.conf"}}},
		{"empty", `[]`, 11, []model.Mount{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeMounts(json.RawMessage(tc.body), tc.minor)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v", got)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("mount %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	big := base64.StdEncoding.EncodeToString(make([]byte, maxInjectedFile+1))
	third := base64.StdEncoding.EncodeToString(make([]byte, maxInjectedFile-10))
	for name, body := range map[string]string{
		"not an array":        `{"source":"a"}`,
		"relative":            `[{"source":"a","destination":"data"}]`,
		"dot dot":             `[{"source":"a","destination":"/a/../../etc"}]`,
		"proc":                `[{"source":"a","destination":"/proc/1"}]`,
		"proc itself":         `[{"source":"a","destination":"/proc"}]`,
		"sys":                 `[{"source":"a","destination":"//sys/x"}]`,
		"dev":                 `[{"source":"a","destination":"/dev/sda"}]`,
		"docker socket":       `[{"source":"a","destination":"/var/run/docker.sock"}]`,
		"docker socket 2":     `[{"source":"a","destination":"/run/./docker.sock"}]`,
		"root":                `[{"source":"a","destination":"/."}]`,
		"nul":                 `[{"source":"a","destination":"/a\u0000b"}]`,
		"too long":            `[{"source":"a","destination":"/` + strings.Repeat("a", 2000) + `"}]`,
		"no destination":      `[{"source":"a"}]`,
		"source and size":     `[{"source":"a","size":1,"destination":"/a"}]`,
		"neither":             `[{"destination":"/a"}]`,
		"size zero":           `[{"size":0,"destination":"/a"}]`,
		"size huge":           `[{"size":100000,"destination":"/a"}]`,
		"unknown key":         `[{"source":"a","destination":"/a","read_only":true}]`,
		"type before 1.23":    `[{"type":"volume","source":"a","destination":"/a"}]`,
		"bad type":            `[{"type":"tmpfs","source":"a","destination":"/a"}]`,
		"bind without source": `[{"type":"bind","destination":"/a"}]`,
		"bind not base64":     `[{"type":"bind","source":"%%%","destination":"/a"}]`,
		"bind too big":        `[{"type":"bind","source":"` + big + `","destination":"/a"}]`,
		"binds too big":       `[{"type":"bind","source":"` + third + `","destination":"/a"},{"type":"bind","source":"` + third + `","destination":"/b"},{"type":"bind","source":"` + third + `","destination":"/c"}]`,
		"same destination":    `[{"source":"a","destination":"/a"},{"size":1,"destination":"/a"}]`,
	} {
		minor := 23
		if name == "type before 1.23" {
			minor = 22
		}
		if _, err := decodeMounts(json.RawMessage(body), minor); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want invalid argument", name, err)
		}
	}
}
