package service

import (
	"testing"
	"time"
)

// TestCreateActionEventFinished: the agent records the start of its create
// event while it works and finishes it after; the action shows one
// finished, successful compute event.
func TestCreateActionEventFinished(t *testing.T) {
	s := startStack(t)
	for range 5 {
		v := s.create(`{"image":"busybox","name":"acted"}`)
		var list struct {
			Actions []struct {
				Action    string `json:"action"`
				RequestID string `json:"request_id"`
			} `json:"containerActions"`
		}
		if st := s.do("GET", "/v1/containers/"+v.UUID+"/container_actions", "", &list); st != 200 || len(list.Actions) != 1 {
			t.Fatalf("actions: %d %+v", st, list)
		}
		var act struct {
			Events []struct {
				Event      string  `json:"event"`
				Result     *string `json:"result"`
				FinishTime *string `json:"finish_time"`
			} `json:"events"`
		}
		// The event is finished after the container is reported Running.
		deadline := time.Now().Add(10 * time.Second)
		for {
			s.do("GET", "/v1/containers/"+v.UUID+"/container_actions/"+list.Actions[0].RequestID, "", &act)
			if len(act.Events) == 1 && act.Events[0].FinishTime != nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if len(act.Events) != 1 || act.Events[0].Event != "compute__do_container_create" ||
			act.Events[0].Result == nil || *act.Events[0].Result != "Success" || act.Events[0].FinishTime == nil {
			t.Fatalf("create action events: %+v", act)
		}
		if st := s.do("DELETE", "/v1/containers/"+v.UUID+"?force=true", "", nil); st != 204 {
			t.Fatalf("delete: %d", st)
		}
		s.wait(v.UUID, func(v view) bool { return v.Status == "gone" })
	}
}
