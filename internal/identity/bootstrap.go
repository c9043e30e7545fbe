package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/model"
)

// Bootstrap idempotently creates the roles admin, member and reader, the
// admin project, the service project and the admin user holding all three
// roles on the admin project. An existing admin user keeps its password.
// Every record belongs to the "default" domain (id "default", name
// "Default"), which needs no record of its own.
func (s *Service) Bootstrap(ctx context.Context, cfg BootstrapConfig) error {
	if cfg.AdminUser == "" || cfg.AdminProject == "" {
		return fmt.Errorf("bootstrap: admin user and project are required: %w", errdefs.ErrInvalidArgument)
	}
	roleIDs := make([]string, 0, 3)
	for _, name := range []string{RoleAdmin, RoleMember, RoleReader} {
		r, err := s.ensureRole(ctx, name)
		if err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
		roleIDs = append(roleIDs, r.ID)
	}
	adminProject, err := s.ensureProject(ctx, cfg.AdminProject, "Bootstrap project for initializing the cloud.")
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if _, err := s.ensureProject(ctx, ServiceProject, "Project of the service users."); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	u, err := s.ensureUser(ctx, cfg.AdminUser, cfg.AdminPassword, adminProject.ID)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	for _, rid := range roleIDs {
		a := model.RoleAssignment{UserID: u.ID, ProjectID: adminProject.ID, RoleID: rid}
		if err := s.st.Assign(ctx, a); err != nil {
			return fmt.Errorf("bootstrap: assign role: %w", err)
		}
	}
	return nil
}

// newID returns a Keystone-style id: a UUID4 as 32 hex digits.
func newID() string { return strings.ReplaceAll(uuid.NewString(), "-", "") }

// ensure gets a record, creating it when missing; a concurrent creation
// (ErrAlreadyExists) is resolved by getting it again.
func ensure[T any](ctx context.Context, what string, get func() (T, error), create func() error) (T, error) {
	v, err := get()
	if err == nil || !errors.Is(err, errdefs.ErrNotFound) {
		if err != nil {
			err = fmt.Errorf("get %s: %w", what, err)
		}
		return v, err
	}
	if err := create(); err != nil && !errors.Is(err, errdefs.ErrAlreadyExists) {
		return v, fmt.Errorf("create %s: %w", what, err)
	}
	v, err = get()
	if err != nil {
		err = fmt.Errorf("get %s: %w", what, err)
	}
	return v, err
}

func (s *Service) ensureRole(ctx context.Context, name string) (*model.Role, error) {
	return ensure(ctx, "role "+name,
		func() (*model.Role, error) { return s.st.GetRole(ctx, name) },
		func() error {
			s.log.InfoContext(ctx, "creating role", "role", name)
			return s.st.CreateRole(ctx, &model.Role{ID: newID(), Name: name})
		})
}

func (s *Service) ensureProject(ctx context.Context, name, desc string) (*model.Project, error) {
	return ensure(ctx, "project "+name,
		func() (*model.Project, error) { return s.st.GetProject(ctx, name, DefaultDomainID) },
		func() error {
			s.log.InfoContext(ctx, "creating project", "project", name)
			return s.st.CreateProject(ctx, &model.Project{
				ID: newID(), Name: name, DomainID: DefaultDomainID,
				Description: desc, Enabled: true, CreatedAt: s.now().UTC(),
			})
		})
}

func (s *Service) ensureUser(ctx context.Context, name, password, projectID string) (*model.User, error) {
	return ensure(ctx, "user "+name,
		func() (*model.User, error) { return s.st.GetUser(ctx, name, DefaultDomainID) },
		func() error {
			hash, err := HashPassword(password)
			if err != nil {
				return err
			}
			s.log.InfoContext(ctx, "creating user", "user", name)
			return s.st.CreateUser(ctx, &model.User{
				ID: newID(), Name: name, DomainID: DefaultDomainID, DefaultProjectID: projectID,
				PasswordHash: hash, Enabled: true, CreatedAt: s.now().UTC(),
			})
		})
}
