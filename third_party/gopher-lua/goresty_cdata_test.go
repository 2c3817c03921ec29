package lua

import "testing"

type testCData struct{}

func (testCData) LuaCData() {}

func TestTypeOfCData(t *testing.T) {
	L := NewState()
	defer L.Close()
	cd := L.NewUserData()
	cd.Value = testCData{}
	plain := L.NewUserData()
	L.SetGlobal("cd", cd)
	L.SetGlobal("ud", plain)
	if err := L.DoString(`r1, r2 = type(cd), type(ud)`); err != nil {
		t.Fatal(err)
	}
	if got := L.GetGlobal("r1").String(); got != "cdata" {
		t.Errorf("type(cdata userdata) = %q", got)
	}
	if got := L.GetGlobal("r2").String(); got != "userdata" {
		t.Errorf("type(userdata) = %q", got)
	}
}
