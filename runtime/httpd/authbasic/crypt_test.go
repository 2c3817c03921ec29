package authbasic

import "testing"

// The vectors come from the C library's crypt(3) (glibc/libxcrypt) and
// "openssl passwd -apr1".
func TestCrypt(t *testing.T) {
	for _, c := range []struct{ key, hash string }{
		{"password", "abJnggxhB/yWI"},
		{"password", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"},
		{"password", "$5$rounds=5000$saltsalt$gOjOtoMpVhru2uyjeJSEc/JaLQWOXMNmlOnj6T4AtC."},
		{"password", "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"},
		{"password", "$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/"},
		{"password", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="},
		{"password", "{PLAIN}password"},
		{"secret", "{SSHA}+RFhsab2AfzZ0VfEdyknXtUT06RhYmNk"},
		{"pw", "$2b$05$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q"},
	} {
		h, err := cryptHash(c.key, c.hash)
		if err != nil || h != c.hash {
			t.Errorf("%s: got %q %v", c.hash, h, err)
		}
	}
}

// TestCryptLibc: the C library's answers (libxcrypt's failure token "*0"
// for a setting it refuses) for several keys and settings.
func TestCryptLibc(t *testing.T) {
	for _, c := range []struct{ key, setting, want string }{
		{"", "Zz", "Zz6qI0EVQ1ir."},
		{"", "./", "./Una9Fi.seRo"},
		{"", "Zzabc", "Zz6qI0EVQ1ir."},
		{"", "$1$ab$", "$1$ab$rn6aQS/o7141mj179E/zA."},
		{"", "$1$0123456789$", "$1$01234567$CdxQNvBQ5qb.ou7ghugSA."},
		{"", "$5$rounds=1000$s$", "$5$rounds=1000$s$cdjvTno7yp4OJ1Yyxn95LrCQTyxHsv3TK6lXb48P4L1"},
		{"", "$5$rounds=10$short$", "*0"},
		{"", "$6$rounds=1234$0123456789abcdefXYZ$", "$6$rounds=1234$0123456789abcdef$3fTr23GI9dcq9dbFPFtAvBV5aI/AlNK5xht7IXYC0zopmTMIIyMdQZvGjo/mqKXjG0mq2jfKWYVf9tAXE7tDN1"},
		{"", "$5$$", "$5$$3c2QQ0KjIU1OLtB29cl8Fplc2WN7X89bnoEjaR7tWu."},
		{"", "$6$rounds=abc$x$", "*0"},
		{"", "Z", "*0"},
		{"", "!!", "*0"},
		{"", "$9$abc", "*0"},
		{"a", "Zz", "ZzsizYWrNJRQc"},
		{"a", "./", "./xT2u5QYaHcU"},
		{"a", "Zzabc", "ZzsizYWrNJRQc"},
		{"a", "$1$ab$", "$1$ab$NM4FR4Dl/CzoTSJTd3YJ3."},
		{"a", "$1$0123456789$", "$1$01234567$pmuME8LLRk3clNmQU0Cdb1"},
		{"a", "$5$rounds=1000$s$", "$5$rounds=1000$s$z5VgeXlzT.M8/EMRKo9XOcikNGiuKT9gSGajArVUrH0"},
		{"a", "$5$rounds=10$short$", "*0"},
		{"a", "$6$rounds=1234$0123456789abcdefXYZ$", "$6$rounds=1234$0123456789abcdef$wYwJBgrw09BfQGDR8WHvFZbwPF3lma/4V3UGUSFfWlpVa13TxZ2B/BHXu5uZ/oR6Dd.4AhNzX0/iHULPuXFhu1"},
		{"a", "$5$$", "$5$$QG6CCM7eJAxpUPcBpn0Z2K29NHtaI6Mk1fCpPrpjdj3"},
		{"a", "$6$rounds=abc$x$", "*0"},
		{"a", "Z", "*0"},
		{"a", "!!", "*0"},
		{"a", "$9$abc", "*0"},
		{"xxxxxxxxxxxxxxxxx", "Zz", "ZzA62YzmFlE.Q"},
		{"xxxxxxxxxxxxxxxxx", "./", "./jft5DtbqH.6"},
		{"xxxxxxxxxxxxxxxxx", "Zzabc", "ZzA62YzmFlE.Q"},
		{"xxxxxxxxxxxxxxxxx", "$1$ab$", "$1$ab$S5Xv7CkuFJMGc8C6OmsTo."},
		{"xxxxxxxxxxxxxxxxx", "$1$0123456789$", "$1$01234567$HzERcu.kvR5V.SeCujuCd."},
		{"xxxxxxxxxxxxxxxxx", "$5$rounds=1000$s$", "$5$rounds=1000$s$T8aU69YHsS4OSaMLDe.aft6cBPA90H.40RjrXyFNXe2"},
		{"xxxxxxxxxxxxxxxxx", "$5$rounds=10$short$", "*0"},
		{"xxxxxxxxxxxxxxxxx", "$6$rounds=1234$0123456789abcdefXYZ$", "$6$rounds=1234$0123456789abcdef$tBwBSgEsIY4fqWE9vVsFRQirb4FKpOsvOGYD3q8RvXOL2DIzrc5E/3pF6kkbseXZ7VW04.KuXGtMuLXUNn0VO0"},
		{"xxxxxxxxxxxxxxxxx", "$5$$", "$5$$AfKQAZATbj6t20BJIjE2VDiJRjTB3svFYjkUSphoqy0"},
		{"xxxxxxxxxxxxxxxxx", "$6$rounds=abc$x$", "*0"},
		{"xxxxxxxxxxxxxxxxx", "Z", "*0"},
		{"xxxxxxxxxxxxxxxxx", "!!", "*0"},
		{"xxxxxxxxxxxxxxxxx", "$9$abc", "*0"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "Zz", "ZzwM.07XybWK6"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "./", "./vYBXr45rAoM"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "Zzabc", "ZzwM.07XybWK6"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "$1$ab$", "$1$ab$rMj/z0E8OdoXl5Xu00ET/0"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "$1$0123456789$", "$1$01234567$k25osjlyxh49ZB6J2jbwm/"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "$5$rounds=1000$s$", "$5$rounds=1000$s$HW24S6FAMe4Nh5mNdfoidzjc.ptbQw32v5EveBoc145"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "$5$rounds=10$short$", "*0"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "$6$rounds=1234$0123456789abcdefXYZ$", "$6$rounds=1234$0123456789abcdef$0.X.3O.8H.l7Ce0yZxtYE6Jjcj2D0rcci3un8Qf9QV7G0G9acWrcrkgVFmODR6urtkk8vY.avW3LU4Rop//Fo."},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "$5$$", "$5$$dkjUgoo2BfAcyKXVYB3VTReN/fVZQ4Q2xGUxyXFRPL1"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "$6$rounds=abc$x$", "*0"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "Z", "*0"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "!!", "*0"},
		{"pässwörd longer than 64 bytes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "$9$abc", "*0"},
		{"12345678901", "Zz", "ZzghNB6kZv6hQ"},
		{"12345678901", "./", "./qw5JW./79Vg"},
		{"12345678901", "Zzabc", "ZzghNB6kZv6hQ"},
		{"12345678901", "$1$ab$", "$1$ab$d1lru6TozhGnzZmPv2pyS1"},
		{"12345678901", "$1$0123456789$", "$1$01234567$RHfwOKcVfv4x8Hs/JpLeI0"},
		{"12345678901", "$5$rounds=1000$s$", "$5$rounds=1000$s$bOIw87WwYSRKUm7li/v2isZ2Ph0IJbIYsPpcIaAJuT."},
		{"12345678901", "$5$rounds=10$short$", "*0"},
		{"12345678901", "$6$rounds=1234$0123456789abcdefXYZ$", "$6$rounds=1234$0123456789abcdef$yd0/UKAqdf2O2DNfE4G7GCI.OGO319eA.WzqBOEv6GNbSadI6rAJ9RRmYfweDmvLD06pOhqy6HcJezUb1dE4s0"},
		{"12345678901", "$5$$", "$5$$fy2Tz5pIj8EDeFj0BT6/Rr3RlTjghnDsFXnf8oF29f."},
		{"12345678901", "$6$rounds=abc$x$", "*0"},
		{"12345678901", "Z", "*0"},
		{"12345678901", "!!", "*0"},
		{"12345678901", "$9$abc", "*0"},
	} {
		h, err := cryptHash(c.key, c.setting)
		if err != nil || h != c.want {
			t.Errorf("%q %s: got %q %v, want %q", c.key, c.setting, h, err, c.want)
		}
	}
}

func TestCryptMismatch(t *testing.T) {
	for _, stored := range []string{"$2b$05$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q", "abJnggxhB/yWI", "$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/", "*0"} {
		if ok, err := matches("wrong", stored); ok || err != nil {
			t.Errorf("%s: %v %v", stored, ok, err)
		}
	}
	if _, err := matches("x", "$y$j9T$abc$def"); err == nil {
		t.Error("yescrypt: no error")
	}
}
