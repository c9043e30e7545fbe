package model

import "time"

// Project is a Keystone project (tenant).
type Project struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	DomainID    string    `json:"domain_id"`
	Description string    `json:"description,omitempty"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
}

// User is a Keystone user. PasswordHash is never sent anywhere.
type User struct {
	ID               string    `json:"id"`
	Name             string    `json:"name"`
	DomainID         string    `json:"domain_id"`
	DefaultProjectID string    `json:"default_project_id,omitempty"`
	PasswordHash     string    `json:"-"`
	Enabled          bool      `json:"enabled"`
	CreatedAt        time.Time `json:"created_at,omitzero"`
}

// Role is a Keystone role.
type Role struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// RoleAssignment grants RoleID to UserID on ProjectID.
type RoleAssignment struct {
	UserID    string `json:"user_id"`
	ProjectID string `json:"project_id"`
	RoleID    string `json:"role_id"`
}
