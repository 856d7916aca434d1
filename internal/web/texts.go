package web

import (
	"fmt"

	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/locale"
)

// texts holds what the cabinet shows, Russian first, English second.
var texts = map[string][2]string{
	"app":               {"Кабинет HR", "HR cabinet"},
	"lang.other":        {"English", "Русский"},
	"login.title":       {"Вход в кабинет HR", "Sign in to the HR cabinet"},
	"login.company":     {"Компания (код)", "Company (code)"},
	"login.email":       {"Электронная почта", "E-mail"},
	"login.password":    {"Пароль", "Password"},
	"login.submit":      {"Войти", "Sign in"},
	"login.bad":         {"Неверная компания, e-mail или пароль.", "Wrong company, e-mail or password."},
	"login.locked":      {"Слишком много неудачных попыток. Вход заблокирован, попробуйте через %d мин.", "Too many failed attempts. Sign-in is locked; try again in %d min."},
	"login.throttled":   {"Слишком много попыток с вашего адреса. Подождите минуту.", "Too many attempts from your address. Wait a minute."},
	"login.out":         {"Вы вышли из кабинета.", "You have signed out."},
	"login.out_all":     {"Вы вышли на всех устройствах.", "You have signed out on every device."},
	"login.expired":     {"Сессия закончилась, войдите снова.", "Your session has ended; please sign in again."},
	"code.title":        {"Код подтверждения", "Verification code"},
	"code.hint":         {"Введите 6-значный код из приложения-аутентификатора или один из резервных кодов.", "Enter the 6-digit code from your authenticator app or one of your recovery codes."},
	"code.label":        {"Код", "Code"},
	"code.submit":       {"Подтвердить", "Verify"},
	"code.bad":          {"Неверный код.", "Wrong code."},
	"password.title":    {"Смена пароля", "Change password"},
	"password.hint":     {"Придумайте новый пароль не короче %d символов.", "Choose a new password of at least %d characters."},
	"password.current":  {"Текущий пароль", "Current password"},
	"password.new":      {"Новый пароль", "New password"},
	"password.repeat":   {"Повторите новый пароль", "Repeat the new password"},
	"password.submit":   {"Сохранить пароль", "Save password"},
	"password.mismatch": {"Пароли не совпадают.", "The passwords do not match."},
	"password.weak":     {"Пароль не подходит: не короче %d символов, не совпадает с e-mail и со старым паролем.", "The password is not accepted: at least %d characters, not your e-mail, not the old password."},
	"password.bad":      {"Текущий пароль неверен.", "The current password is wrong."},
	"tfa.title":         {"Двухфакторный вход", "Two-factor sign-in"},
	"tfa.required":      {"Для вашей роли двухфакторный вход обязателен. Настройте его, чтобы продолжить.", "Your role requires two-factor sign-in. Set it up to continue."},
	"tfa.scan":          {"Отсканируйте QR-код приложением-аутентификатором (Яндекс Ключ, Google Authenticator, FreeOTP и др.) и введите код из приложения.", "Scan the QR code with an authenticator app (Google Authenticator, FreeOTP, …) and enter the code it shows."},
	"tfa.manual":        {"Или введите ключ вручную:", "Or enter the key by hand:"},
	"tfa.qr_alt":        {"QR-код для приложения-аутентификатора", "QR code for the authenticator app"},
	"tfa.confirm":       {"Включить", "Turn on"},
	"tfa.on":            {"Двухфакторный вход включён.", "Two-factor sign-in is on."},
	"tfa.codes_left":    {"Неиспользованных резервных кодов: %d.", "Unused recovery codes: %d."},
	"tfa.renew":         {"Выпустить новые резервные коды", "Issue new recovery codes"},
	"tfa.disable":       {"Отключить двухфакторный вход", "Turn two-factor sign-in off"},
	"tfa.must_keep":     {"Для вашей роли двухфакторный вход отключить нельзя.", "Your role cannot turn two-factor sign-in off."},
	"tfa.off":           {"Двухфакторный вход отключён.", "Two-factor sign-in is off."},
	"codes.title":       {"Резервные коды", "Recovery codes"},
	"codes.hint":        {"Сохраните эти коды в надёжном месте. Каждый код можно использовать один раз, если телефон недоступен. Больше они показаны не будут.", "Keep these codes somewhere safe. Each works once when your phone is not at hand. They will not be shown again."},
	"codes.done":        {"Я сохранил коды — продолжить", "I have saved the codes — continue"},
	"nav.home":          {"Сотрудники", "Employees"},
	"nav.users":         {"Пользователи", "Users"},
	"nav.security":      {"Безопасность", "Security"},
	"nav.logout":        {"Выйти", "Sign out"},
	"nav.logout_all":    {"Выйти на всех устройствах", "Sign out everywhere"},
	"home.employees":    {"Сотрудники", "Employees"},
	"home.none":         {"Сотрудников пока нет.", "No employees yet."},
	"home.no_access":    {"У вашей роли нет доступа к списку сотрудников.", "Your role has no access to the employee list."},
	"home.more":         {"Показаны первые %d сотрудников.", "The first %d employees are shown."},
	"emp.number":        {"Таб. №", "No."},
	"emp.name":          {"ФИО", "Full name"},
	"emp.position":      {"Должность", "Position"},
	"emp.department":    {"Подразделение", "Department"},
	"emp.office":        {"Офис", "Office"},
	"emp.hired":         {"Дата приёма", "Hired on"},
	"emp.dismissed":     {"Дата увольнения", "Dismissed on"},
	"emp.phone":         {"Телефон", "Phone"},
	"emp.email":         {"E-mail", "E-mail"},
	"emp.manager":       {"Руководитель", "Manager"},
	"emp.back":          {"← К списку", "← Back to the list"},
	"users.title":       {"Пользователи кабинета", "Cabinet users"},
	"users.role":        {"Роль", "Role"},
	"users.tfa":         {"2FA", "2FA"},
	"users.status":      {"Статус", "Status"},
	"users.active":      {"активен", "active"},
	"users.blocked":     {"заблокирован", "blocked"},
	"users.yes":         {"да", "yes"},
	"users.no":          {"нет", "no"},
	"users.reset":       {"Сбросить пароль и 2FA", "Reset password and 2FA"},
	"users.block":       {"Заблокировать", "Block"},
	"users.unblock":     {"Разблокировать", "Unblock"},
	"users.new":         {"Новый пользователь", "New user"},
	"users.departments": {"Подразделения (через запятую, пусто — все)", "Departments (comma-separated, empty for all)"},
	"users.offices":     {"Офисы (через запятую, пусто — все)", "Offices (comma-separated, empty for all)"},
	"users.employee":    {"Табельный номер сотрудника (для руководителя)", "Employee number (for a line manager)"},
	"users.create":      {"Создать", "Create"},
	"users.exists":      {"Пользователь с таким e-mail уже есть.", "A user with this e-mail exists."},
	"users.invalid":     {"Проверьте e-mail, роль и табельный номер.", "Check the e-mail, role and employee number."},
	"users.created":     {"Пользователь создан", "User created"},
	"users.password":    {"Одноразовый пароль для %s (покажется один раз, при первом входе его нужно сменить):", "One-time password for %s (shown once; it must be changed at the first sign-in):"},
	"users.self":        {"Нельзя заблокировать себя.", "You cannot block yourself."},
	"err.403":           {"Доступ запрещён", "Access denied"},
	"err.403.text":      {"У вашей роли нет прав на это действие, или форма устарела. Обновите страницу и попробуйте снова.", "Your role may not do this, or the form is out of date. Reload the page and try again."},
	"err.404":           {"Не найдено", "Not found"},
	"err.404.text":      {"Такой страницы или записи нет.", "There is no such page or record."},
	"err.500":           {"Ошибка", "Error"},
	"err.500.text":      {"Что-то пошло не так. Попробуйте позже.", "Something went wrong. Please try later."},
	"role.owner":        {"Владелец", "Owner"},
	"role.admin":        {"Администратор", "Administrator"},
	"role.hr_manager":   {"HR-менеджер", "HR manager"},
	"role.hr_operator":  {"HR-оператор", "HR operator"},
	"role.analyst":      {"Аналитик", "Analyst"},
	"role.line_manager": {"Линейный руководитель", "Line manager"},
}

// tr returns the text of key in lang, formatted with args.
func tr(lang locale.Lang, key string, args ...any) string {
	pair, ok := texts[key]
	if !ok {
		return key
	}
	s := pair[0]
	if lang == locale.EN {
		s = pair[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func roleName(lang locale.Lang, r auth.Role) string { return tr(lang, "role."+string(r)) }
