package model

import (
	"reflect"
	"testing"
	"time"
)

// fill sets every field of the struct v points to to a non-zero value,
// giving maps, slices and pointers one element.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int64:
			f.SetInt(7)
		case reflect.Float64:
			f.SetFloat(0.5)
		case reflect.Slice:
			s := reflect.MakeSlice(f.Type(), 1, 1)
			f.Set(s)
		case reflect.Map:
			m := reflect.MakeMap(f.Type())
			m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v"))
			f.Set(m)
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			fill(t, p.Elem())
			f.Set(p)
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Unix(1, 0)))
				continue
			}
			fill(t, f)
		default:
			t.Fatalf("field %s: kind %s not handled by the test", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// TestContainerCloneIsDeep fails when a field added to Container shares
// memory between a record and its clone.
func TestContainerCloneIsDeep(t *testing.T) {
	var c Container
	fill(t, reflect.ValueOf(&c).Elem())
	cl := c.Clone()
	if !reflect.DeepEqual(&c, cl) {
		t.Fatalf("clone differs:\n%+v\n%+v", c, *cl)
	}
	orig, cp := reflect.ValueOf(&c).Elem(), reflect.ValueOf(cl).Elem()
	for i := range orig.NumField() {
		switch orig.Field(i).Kind() {
		case reflect.Map, reflect.Slice, reflect.Pointer:
			if orig.Field(i).Pointer() == cp.Field(i).Pointer() {
				t.Errorf("field %s is shared by the clone", orig.Type().Field(i).Name)
			}
		}
	}
}
