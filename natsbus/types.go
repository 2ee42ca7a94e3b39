package natsbus

import (
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/seed01aa7ee5/msgport"
)

var (
	timeType     = reflect.TypeFor[time.Time]()
	bufferType   = reflect.TypeFor[*msgport.Buffer]()
	errorType    = reflect.TypeFor[error]()
	anySliceType = reflect.TypeFor[[]any]()
	anyMapType   = reflect.TypeFor[map[string]any]()
	clonerType   = reflect.TypeFor[msgport.Cloner]()
	portType     = reflect.TypeFor[*msgport.MessagePort]()
)

// TypeName returns the name under which WithTypes registers the struct type
// of sample (or of what sample points to): its package path, a dot and its
// name, as in "github.com/you/app/model.Order". It panics if sample is not a
// named struct type or a pointer to one.
func TypeName(sample any) string {
	_, name := registrable(sample)
	return name
}

// registrable returns the struct type of sample and its wire name, or
// panics.
func registrable(sample any) (reflect.Type, string) {
	t := reflect.TypeOf(sample)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
		panic("natsbus: cannot register the type of nil")
	case t.Kind() != reflect.Struct || t.Name() == "" || t.PkgPath() == "":
		panic(fmt.Sprintf("natsbus: cannot register %s: not a named struct type", t))
	case t == timeType || t == bufferType.Elem():
		panic(fmt.Sprintf("natsbus: cannot register %s: it has its own encoding", t))
	}
	return t, t.PkgPath() + "." + t.Name()
}

// registry maps registered struct types to their wire names and back. It is
// built by New and read-only afterwards.
type registry struct {
	byName map[string]*registered
	byType map[reflect.Type]*registered
}

// registered is a registered struct type, as the codec needs it.
type registered struct {
	name string
	r    *typeReader // the type's reader (see readers.go); r.si its fields
	// asClone: a value of the type held in an interface, if the sender's
	// own, encodes as its clone would (an error always does; see
	// encodeDynamic).
	asClone bool
}

func (r *registry) add(sample any) {
	t, name := registrable(sample)
	r.addType(t, name)
}

func (r *registry) addType(t reflect.Type, name string) {
	if old, ok := r.byName[name]; ok && old.r.t != t {
		panic(fmt.Sprintf("natsbus: two types named %q", name))
	}
	if r.byName == nil {
		r.byName = make(map[string]*registered)
		r.byType = make(map[reflect.Type]*registered)
	}
	rt := &registered{
		name:    name,
		r:       readerOf(t),
		asClone: t.Implements(errorType) || encodesAsClone(t),
	}
	r.byName[name], r.byType[t] = rt, rt
}

// structInfo lists the fields of a struct type that travel: the exported
// ones, by Go name.
type structInfo struct {
	fields []fieldInfo
	byName map[string]int // field name -> index in fields
}

type fieldInfo struct {
	name  string
	index int // in the struct
}

var structInfos sync.Map // reflect.Type -> *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: make(map[string]int)}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		si.byName[f.Name] = len(si.fields)
		si.fields = append(si.fields, fieldInfo{name: f.Name, index: i})
	}
	v, _ := structInfos.LoadOrStore(t, si)
	return v.(*structInfo)
}
