package local

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
)

// TestInventory lists what the directory holds: attached volumes (mount
// or loop device), backing files, injected files' owners; and nothing
// once they are released.
func TestInventory(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	vol, ctr := uuid.NewString(), uuid.NewString()
	t.Cleanup(func() { _ = b.Destroy(context.Background(), vol) })
	if _, err := b.Attach(ctx, vol, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.InjectFile(ctr, 0, []byte("x")); err != nil {
		t.Fatal(err)
	}
	inv, err := b.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(inv.Attached, []string{vol}) || !slices.Equal(inv.Stored, []string{vol}) || !slices.Equal(inv.FileOwners, []string{ctr}) {
		t.Fatalf("inventory %+v", inv)
	}
	if err := b.Detach(ctx, vol); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveFiles(ctr); err != nil {
		t.Fatal(err)
	}
	if inv, err = b.Inventory(ctx); err != nil || len(inv.Attached)+len(inv.FileOwners) != 0 || !slices.Equal(inv.Stored, []string{vol}) {
		t.Fatalf("after detach: %+v, %v", inv, err)
	}
	if err := b.Destroy(ctx, vol); err != nil {
		t.Fatal(err)
	}
	if inv, err = b.Inventory(ctx); err != nil || len(inv.Attached)+len(inv.Stored)+len(inv.FileOwners) != 0 {
		t.Fatalf("after destroy: %+v, %v", inv, err)
	}
}
