package apiserver

import (
	"net/http"

	"github.com/openzun/zun/api"
)

type versionDoc struct {
	ID         string     `json:"id"`
	Links      []api.Link `json:"links"`
	Status     string     `json:"status"`
	MaxVersion string     `json:"max_version"`
	MinVersion string     `json:"min_version"`
}

func (s *Server) base(q *request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if q.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + q.r.Host
}

func (s *Server) v1Doc(q *request) versionDoc {
	return versionDoc{ID: "v1", Links: []api.Link{{Href: s.base(q) + "/v1/", Rel: "self"}}, Status: "CURRENT",
		MaxVersion: api.MaxVersion.String(), MinVersion: api.MinVersion.String()}
}

func (s *Server) rootVersions(q *request) (int, any, error) {
	d := s.v1Doc(q)
	return http.StatusOK, map[string]any{
		"name":            "OpenStack Zun API",
		"description":     "Zun is an OpenStack project which aims to provide container management.",
		"versions":        []versionDoc{d},
		"default_version": d,
	}, nil
}

func (s *Server) v1Version(q *request) (int, any, error) {
	b := s.base(q)
	link := func(res string) []api.Link {
		return []api.Link{{Href: b + "/v1/" + res + "/", Rel: "self"}, {Href: b + "/" + res + "/", Rel: "bookmark"}}
	}
	body := map[string]any{
		"id":          "v1",
		"media_types": []map[string]string{{"base": "application/json", "type": "application/vnd.openstack.zun.v1+json"}},
		"links":       []api.Link{{Href: b + "/v1/", Rel: "self"}, {Href: "https://docs.openstack.org/zun/latest/", Rel: "describedby"}},
	}
	for _, r := range []string{"services", "containers", "images", "networks", "hosts", "capsules", "availability_zones", "quotas", "quota_classes", "registries"} {
		body[r] = link(r)
	}
	return http.StatusOK, body, nil
}
