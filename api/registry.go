package api

// RegistryPasswordMask replaces the password in every answer.
const RegistryPasswordMask = "***"

// Registry is a private registry (1.30+). Password is always "***".
type Registry struct {
	UUID      string `json:"uuid"`
	Links     []Link `json:"links"`
	UserID    string `json:"user_id"`
	ProjectID string `json:"project_id"`
	Name      string `json:"name"`
	Domain    string `json:"domain"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

// RegistryFields is the body of POST and PATCH /v1/registries, inside
// {"registry": {...}}. Domain is required on create.
type RegistryFields struct {
	Name     *string `json:"name,omitempty"`
	Domain   *string `json:"domain,omitempty"`
	Username *string `json:"username,omitempty"`
	Password *string `json:"password,omitempty"`
}

// RegistryBody wraps a registry in requests and single answers.
type RegistryBody[T any] struct {
	Registry T `json:"registry"`
}

// RegistryList is GET /v1/registries.
type RegistryList struct {
	Registries []Registry `json:"registries"`
	Next       string     `json:"next,omitempty"`
}
