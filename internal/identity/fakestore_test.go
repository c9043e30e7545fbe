package identity

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
	"github.com/openzun/zun/internal/store"
)

// fakeStore is an in-memory store.Identity with the documented semantics
// (lookup by id, then by name within the domain; names unique per domain).
type fakeStore struct {
	mu       sync.Mutex
	projects []model.Project
	users    []model.User
	roles    []model.Role
	assigned map[model.RoleAssignment]bool
}

var _ store.Identity = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{assigned: map[model.RoleAssignment]bool{}}
}

func (f *fakeStore) CreateProject(_ context.Context, p *model.Project) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, q := range f.projects {
		if q.ID == p.ID || (q.Name == p.Name && q.DomainID == p.DomainID) {
			return fmt.Errorf("project %q: %w", p.Name, errdefs.ErrAlreadyExists)
		}
	}
	f.projects = append(f.projects, *p)
	return nil
}

func (f *fakeStore) GetProject(_ context.Context, idOrName, domainID string) (*model.Project, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, pass := range []bool{true, false} {
		for _, q := range f.projects {
			if (pass && q.ID == idOrName) || (!pass && q.Name == idOrName && q.DomainID == domainID) {
				return &q, nil
			}
		}
	}
	return nil, fmt.Errorf("project %q: %w", idOrName, errdefs.ErrNotFound)
}

func (f *fakeStore) ListProjects(context.Context) ([]*model.Project, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*model.Project, 0, len(f.projects))
	for _, p := range f.projects {
		out = append(out, &p)
	}
	return out, nil
}

func (f *fakeStore) CreateUser(_ context.Context, u *model.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, q := range f.users {
		if q.ID == u.ID || (q.Name == u.Name && q.DomainID == u.DomainID) {
			return fmt.Errorf("user %q: %w", u.Name, errdefs.ErrAlreadyExists)
		}
	}
	f.users = append(f.users, *u)
	return nil
}

func (f *fakeStore) GetUser(_ context.Context, idOrName, domainID string) (*model.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, pass := range []bool{true, false} {
		for _, q := range f.users {
			if (pass && q.ID == idOrName) || (!pass && q.Name == idOrName && q.DomainID == domainID) {
				return &q, nil
			}
		}
	}
	return nil, fmt.Errorf("user %q: %w", idOrName, errdefs.ErrNotFound)
}

func (f *fakeStore) ListUsers(context.Context) ([]*model.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*model.User, 0, len(f.users))
	for _, u := range f.users {
		out = append(out, &u)
	}
	return out, nil
}

// setUser edits a user in place (tests).
func (f *fakeStore) setUser(id string, fn func(u *model.User)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.users {
		if f.users[i].ID == id {
			fn(&f.users[i])
		}
	}
}

func (f *fakeStore) CreateRole(_ context.Context, r *model.Role) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, q := range f.roles {
		if q.ID == r.ID || q.Name == r.Name {
			return fmt.Errorf("role %q: %w", r.Name, errdefs.ErrAlreadyExists)
		}
	}
	f.roles = append(f.roles, *r)
	return nil
}

func (f *fakeStore) GetRole(_ context.Context, idOrName string) (*model.Role, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, q := range f.roles {
		if q.ID == idOrName || q.Name == idOrName {
			return &q, nil
		}
	}
	return nil, fmt.Errorf("role %q: %w", idOrName, errdefs.ErrNotFound)
}

func (f *fakeStore) ListRoles(context.Context) ([]*model.Role, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*model.Role, 0, len(f.roles))
	for _, r := range f.roles {
		out = append(out, &r)
	}
	return out, nil
}

func (f *fakeStore) Assign(_ context.Context, a model.RoleAssignment) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.assigned[a] = true
	return nil
}

func (f *fakeStore) RolesOf(_ context.Context, userID, projectID string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for a := range f.assigned {
		if a.UserID != userID || a.ProjectID != projectID {
			continue
		}
		for _, r := range f.roles {
			if r.ID == a.RoleID {
				out = append(out, r.Name)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
