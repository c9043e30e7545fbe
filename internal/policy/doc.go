// Package policy decides whether a caller may perform an API operation,
// with the rule language of oslo.policy: `role:admin`, `rule:admin_or_owner`,
// `project_id:%(project_id)s`, `is_admin:True`, `and`, `or`, `not`,
// parentheses, `@` (always) and `!` (never).
//
// Zun's default rules are registered in code with their descriptions
// (defaults.go); an operator's YAML or JSON policy file overrides them. Load
// compiles every rule once into a check tree, resolves every `rule:`
// reference and rejects a file naming a rule that is not registered, so a
// typo stops the service instead of silently allowing or denying. At run
// time a rule that is not registered denies, and evaluation does not
// allocate.
//
// The package imports only internal/errdefs, internal/zunctx and the YAML
// decoder; it knows nothing of HTTP or the store.
package policy
