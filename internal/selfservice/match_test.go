package selfservice

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"сколько у меня отпуска", KeyVacationBalance},
		{"Сколько дней отпуска осталось?", KeyVacationBalance},
		{"остаток отпуска", KeyVacationBalance},
		{"vacation balance please", KeyVacationBalance},
		{"нужна справка 2-НДФЛ", KeyIncomeCert},
		{"справка 2НДФЛ за 2025 год", KeyIncomeCert},
		{"справку о доходах", KeyIncomeCert},
		{"расчётный листок за март", KeyPayslip},
		{"Расчетку за февраль пришлите", KeyPayslip},
		{"payslip", KeyPayslip},
		{"справка с места работы", KeyEmploymentCert},
		{"нужна справка с работы в банк", KeyEmploymentCert},
		{"копию трудовой книжки", KeyWorkRecordCopy},
		{"СТД-Р", KeyWorkRecordCopy},
		{"хочу написать заявление на отпуск", KeyVacationApplication},
		{"хочу в отпуск", KeyVacationApplication},
		{"справка для визы", KeyVisaCert},
		{"справка в посольство", KeyVisaCert},
		{"сменила фамилию", KeyPersonalDataChange},
		{"у меня новый паспорт", KeyPersonalDataChange},
		{"нужна справка", keyMenu},
		{"какие есть услуги", keyMenu},
		{"привет", ""},
		{"когда зарплата", ""},
		{"где столовая", ""},
		{"", ""},
		// Russian typed on the English layout.
		{"hfcxtnysq kbcnjr", KeyPayslip},
		{"rfr jajhvbnm jngecr", KeyVacationApplication},
		{"cghfdrf 2-YLAK pf 2025 ujl", KeyIncomeCert},
		{"hello world", ""},
		{"отпуск " + "и ещё очень много слов в этом длинном сообщении про всё на свете сразу", ""},
	}
	all := func(string) bool { return true }
	for _, tt := range tests {
		if got := Match(tt.in, all); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMatch_SkipsServicesNotOffered(t *testing.T) {
	offered := func(key string) bool { return key != KeyIncomeCert }
	if got := Match("нужна справка 2-НДФЛ", offered); got != keyMenu {
		t.Errorf("Match without the income certificate = %q, want %q (the generic word)", got, keyMenu)
	}
	if got := Match("справка о доходах", func(string) bool { return false }); got != keyMenu {
		t.Errorf("Match with nothing offered = %q, want %q", got, keyMenu)
	}
}

func TestSameStem(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"листок", "листк", true},
		{"изменен", "измен", true},
		{"справк", "справочк", true},
		{"отпуск", "отпускн", true},
		{"виз", "визит", false},
		{"коп", "копир", false},
		{"мест", "месяц", false},
	}
	for _, tt := range tests {
		if got := sameStem(tt.a, tt.b); got != tt.want {
			t.Errorf("sameStem(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNamesOnly(t *testing.T) {
	tests := []struct {
		in, key string
		want    bool
	}{
		{"сколько у меня отпуска", KeyVacationBalance, true},
		{"Сколько дней отпуска осталось?", KeyVacationBalance, true},
		{"остаток отпуска, пожалуйста", KeyVacationBalance, true},
		{"расчётный листок за март 2026", KeyPayslip, true},
		{"Расчетку за февраль пришлите", KeyPayslip, true},
		{"хочу справку 2-НДФЛ", KeyIncomeCert, true},
		{"сколько дней отпуска положено?", KeyVacationBalance, false},
		{"как перенести отпуск на июль", KeyVacationBalance, false},
		{"почему в расчётке две строки НДФЛ", KeyPayslip, false},
		{"справка 2-НДФЛ", KeyPayslip, false},
	}
	for _, tt := range tests {
		if got := NamesOnly(tt.in, tt.key); got != tt.want {
			t.Errorf("NamesOnly(%q, %s) = %v, want %v", tt.in, tt.key, got, tt.want)
		}
	}
}
