// Package model holds the domain records shared by the API server, the
// store, the scheduler and the compute agent (which receives them over the
// bus). They are not wire types of the REST API: internal/apiserver converts
// them to api/ views. JSON tags are for the bus and for JSON columns.
package model
