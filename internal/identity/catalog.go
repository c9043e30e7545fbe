package identity

import (
	"fmt"

	"github.com/openzun/zun/internal/errdefs"
)

// RegisterService adds e to the service catalog, or replaces the entry of
// the same type: every service of the cloud registers its endpoint here
// (Config.Catalog is the initial list), so the catalog names every
// service without the identity service knowing them.
func (s *Service) RegisterService(e CatalogEntry) error {
	if e.Type == "" {
		return fmt.Errorf("identity: catalog entry %q has no type: %w", e.Name, errdefs.ErrInvalidArgument)
	}
	u, err := checkURL(e.URL)
	if err != nil {
		return fmt.Errorf("identity: catalog entry %q: %w", e.Type, err)
	}
	e.URL = u
	if e.Name == "" {
		e.Name = e.Type
	}
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	for i := range s.services {
		if s.services[i].Type == e.Type {
			s.services[i] = e
			return nil
		}
	}
	s.services = append(s.services, e)
	return nil
}
