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

// RoleAssignment grants RoleID to UserID on ProjectID or, when ProjectID
// is empty, on DomainID.
type RoleAssignment struct {
	UserID    string `json:"user_id"`
	ProjectID string `json:"project_id,omitempty"`
	DomainID  string `json:"domain_id,omitempty"`
	RoleID    string `json:"role_id"`
}

// Domain is a Keystone domain: a namespace of projects and users. The
// domain "default" always exists.
type Domain struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
}

// Revocation is a token revocation event, as in Keystone: it revokes
// every token issued at or before IssuedBefore that matches all its
// non-empty fields (AuditID names one token; UserID, ProjectID and DomainID
// the token's user, project scope and domain scope or user domain).
// ExpiresAt is when no matching token can still be valid, so the event
// can be forgotten.
type Revocation struct {
	AuditID      string    `json:"audit_id,omitempty"`
	UserID       string    `json:"user_id,omitempty"`
	ProjectID    string    `json:"project_id,omitempty"`
	DomainID     string    `json:"domain_id,omitempty"`
	IssuedBefore time.Time `json:"issued_before"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// SigningKey is the public half of a token signing key. ExpiresAt is zero
// while the key signs; once rotated out it stays until its last token has
// expired.
type SigningKey struct {
	ID        string    `json:"id"`
	PublicKey []byte    `json:"public_key"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}
