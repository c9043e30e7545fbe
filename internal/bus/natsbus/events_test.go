package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/openzun/zun/internal/errdefs"
	"github.com/openzun/zun/internal/zunctx"
)

type event struct {
	Subject   string
	Payload   string
	RequestID string
}

func TestPublishSubscribeWildcard(t *testing.T) {
	srv, cli := pair(t)
	ch := make(chan event, 10)
	sub, err := srv.Subscribe("zun.events.*", func(ctx context.Context, p json.RawMessage) {
		var s string
		_ = json.Unmarshal(p, &s)
		ch <- event{Payload: s, RequestID: zunctx.RequestID(ctx)}
	})
	if err != nil {
		t.Fatal(err)
	}
	all := make(chan string, 10)
	if _, err := srv.Subscribe("zun.>", func(_ context.Context, p json.RawMessage) {
		all <- string(p)
	}); err != nil {
		t.Fatal(err)
	}
	ctx := zunctx.WithRequestID(context.Background(), "req-ev")
	for _, subj := range []string{"zun.events.host1", "zun.events.host2", "zun.other.x.y"} {
		if err := cli.Publish(ctx, subj, subj); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"zun.events.host1", "zun.events.host2"} {
		select {
		case ev := <-ch:
			if ev.Payload != want || ev.RequestID != "req-ev" {
				t.Fatalf("got %+v, want payload %q with request id", ev, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %q not received", want)
		}
	}
	for range 3 {
		select {
		case <-all:
		case <-time.After(5 * time.Second):
			t.Fatal("'>' subscriber missed an event")
		}
	}
	select {
	case ev := <-ch:
		t.Fatalf("'*' matched a deeper subject: %+v", ev)
	case <-time.After(50 * time.Millisecond):
	}

	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
	if err := cli.Publish(ctx, "zun.events.host1", "late"); err != nil {
		t.Fatal(err)
	}
	<-all // delivered to the other subscriber, so the server has routed it
	select {
	case ev := <-ch:
		t.Fatalf("received after Unsubscribe: %+v", ev)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestPublishWithoutSubscribersAndPanics(t *testing.T) {
	srv, cli := pair(t)
	if err := cli.Publish(context.Background(), "zun.events.nobody", 1); err != nil {
		t.Fatalf("publish with no subscriber: %v", err)
	}
	got := make(chan int, 2)
	if _, err := srv.Subscribe("test.ev", func(_ context.Context, p json.RawMessage) {
		var i int
		_ = json.Unmarshal(p, &i)
		if i == 0 {
			panic("bad event")
		}
		got <- i
	}); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1} {
		if err := cli.Publish(context.Background(), "test.ev", i); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case i := <-got:
		if i != 1 {
			t.Fatalf("got %d", i)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscriber died with the panic")
	}
	if err := cli.Publish(context.Background(), "", 1); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("empty subject: %v", err)
	}
	if err := cli.Publish(context.Background(), "test.ev", func() {}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("unencodable event: %v", err)
	}
}
