package store

import (
	"path/filepath"
	"testing"
	"time"
)

func TestPhoneClientRoundTripAndList(t *testing.T) {
	db := openTemp(t)
	if _, ok, err := db.PhoneClient("+254712345678"); err != nil || ok {
		t.Fatalf("empty directory: ok=%v err=%v", ok, err)
	}
	if list, err := db.ClientPhones(); err != nil || len(list) != 0 {
		t.Fatalf("empty directory list: %v %v", list, err)
	}
	amina := PhoneClient{Phone: "+254712345678", ClientID: 42, Name: "Amina Odhiambo", CheckedAt: baseTime}
	stranger := PhoneClient{Phone: "+254700000009", NotRegistered: true, CheckedAt: baseTime}
	juma := PhoneClient{Phone: "+254722000001", ClientID: 7, Name: "Juma", CheckedAt: baseTime.Add(time.Minute)}
	for _, p := range []PhoneClient{amina, stranger, juma} {
		if err := db.PutPhoneClient(p); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := db.PhoneClient(amina.Phone)
	if err != nil || !ok || got.ClientID != 42 || got.Name != amina.Name || !got.CheckedAt.Equal(baseTime) || got.NotRegistered {
		t.Errorf("PhoneClient = %+v ok=%v err=%v", got, ok, err)
	}
	got, ok, err = db.PhoneClient(stranger.Phone)
	if err != nil || !ok || !got.NotRegistered || got.ClientID != 0 {
		t.Errorf("stranger = %+v ok=%v err=%v", got, ok, err)
	}
	list, err := db.ClientPhones()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ClientID != 42 || list[1].ClientID != 7 {
		t.Errorf("ClientPhones = %+v, want Amina then Juma and no stranger", list)
	}
	// A later lookup replaces the entry: the stranger registered.
	stranger.NotRegistered, stranger.ClientID, stranger.Name = false, 99, "New Client"
	if err := db.PutPhoneClient(stranger); err != nil {
		t.Fatal(err)
	}
	if list := must(db.ClientPhones())(t); len(list) != 3 {
		t.Errorf("after registration ClientPhones has %d entries, want 3", len(list))
	}
}

func TestPhoneClientRejectsIncompleteEntries(t *testing.T) {
	db := openTemp(t)
	if err := db.PutPhoneClient(PhoneClient{ClientID: 1}); err == nil {
		t.Error("entry without phone accepted")
	}
	if err := db.PutPhoneClient(PhoneClient{Phone: "+254712345678"}); err == nil {
		t.Error("registered entry without client id accepted")
	}
}

func TestDirectorySurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutPhoneClient(PhoneClient{Phone: "+254712345678", ClientID: 42, CheckedAt: baseTime}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutClientPIN(42, "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA"); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSnapshot(42, []byte(`{"x":1}`), baseTime); err != nil {
		t.Fatal(err)
	}
	check(t, db.Close())
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if p, ok, err := db.PhoneClient("+254712345678"); err != nil || !ok || p.ClientID != 42 {
		t.Errorf("after reopen: %+v %v %v", p, ok, err)
	}
	if h, ok, err := db.ClientPIN(42); err != nil || !ok || h != "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA" {
		t.Errorf("PIN hash after reopen: %q %v %v", h, ok, err)
	}
	if d, _, ok, err := db.Snapshot(42); err != nil || !ok || string(d) != `{"x":1}` {
		t.Errorf("snapshot after reopen: %q %v %v", d, ok, err)
	}
}

func TestClientPIN(t *testing.T) {
	db := openTemp(t)
	if _, ok, err := db.ClientPIN(42); err != nil || ok {
		t.Fatalf("no PIN yet: ok=%v err=%v", ok, err)
	}
	if err := db.PutClientPIN(42, ""); err == nil {
		t.Error("empty hash accepted")
	}
	if err := db.PutClientPIN(0, "h"); err == nil {
		t.Error("client id 0 accepted")
	}
	if err := db.PutClientPIN(42, "h1"); err != nil {
		t.Fatal(err)
	}
	if err := db.PutClientPIN(42, "h2"); err != nil {
		t.Fatal(err)
	}
	if h, ok, err := db.ClientPIN(42); err != nil || !ok || h != "h2" {
		t.Errorf("ClientPIN = %q %v %v, want the latest hash", h, ok, err)
	}
	if _, ok := must2(db.ClientPIN(43))(t); ok {
		t.Error("another client has a PIN")
	}
}

// A stolen phone's cached mapping can be forgotten at once, alone or with
// every other; the client's snapshot stays for the client's other phones.
func TestForgetPhoneClients(t *testing.T) {
	db := openTemp(t)
	if n, err := db.ForgetPhoneClients(""); err != nil || n != 0 {
		t.Fatalf("flush of an empty directory: %d, %v", n, err)
	}
	entries := []PhoneClient{
		{Phone: "+254712345678", ClientID: 42, Name: "Amina Odhiambo", CheckedAt: baseTime},
		{Phone: "+254712000042", ClientID: 42, Name: "Amina Odhiambo", CheckedAt: baseTime},
		{Phone: "+254700000009", NotRegistered: true, CheckedAt: baseTime},
		{Phone: "+254722000001", ClientID: 7, Name: "Juma", CheckedAt: baseTime},
	}
	for _, p := range entries {
		if err := db.PutPhoneClient(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutSnapshot(42, []byte(`{"ClientID":42}`), baseTime); err != nil {
		t.Fatal(err)
	}

	if n, err := db.ForgetPhoneClients("+254712345678"); err != nil || n != 1 {
		t.Fatalf("forget one phone: %d, %v", n, err)
	}
	if _, ok, err := db.PhoneClient("+254712345678"); err != nil || ok {
		t.Errorf("forgotten phone still cached: ok=%v err=%v", ok, err)
	}
	if _, ok := must2(db.PhoneClient("+254712000042"))(t); !ok {
		t.Error("the client's other phone was forgotten too")
	}
	if n, err := db.ForgetPhoneClients("+254799999999"); err != nil || n != 0 {
		t.Errorf("forget a phone never cached: %d, %v", n, err)
	}
	if _, _, ok, err := db.Snapshot(42); err != nil || !ok {
		t.Errorf("snapshot removed with the mapping: ok=%v err=%v", ok, err)
	}

	if n, err := db.ForgetPhoneClients(""); err != nil || n != 3 {
		t.Fatalf("flush all: %d, %v (want the 3 left, the not-registered one included)", n, err)
	}
	for _, p := range entries {
		if _, ok, err := db.PhoneClient(p.Phone); err != nil || ok {
			t.Errorf("%s still cached after a flush: ok=%v err=%v", p.Phone, ok, err)
		}
	}
	if list, err := db.ClientPhones(); err != nil || len(list) != 0 {
		t.Errorf("ClientPhones after a flush: %+v %v", list, err)
	}
}
