// Package weighers ranks the hosts that passed the filters. Zun itself has
// no weighers (it takes hosts in list order); this project adds two
// policies, both normalised to [0, 1] from the host's free fraction after
// the request would be placed:
//
//   - spread (the default) prefers the host with the most free RAM, then
//     CPU, so load is balanced and concurrent schedulers rarely collide;
//   - binpack is its opposite and fills hosts before using new ones.
//
// It imports only schedcore and the standard library.
package weighers
