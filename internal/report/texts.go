package report

import (
	"fmt"

	"github.com/staffbot/staffbot/internal/locale"
)

// texts are the words of charts and digests, Russian first.
var texts = map[string][2]string{
	"period": {"Период: %s — %s", "Period: %s to %s"},

	"chart.activation":        {"Активация: приглашены и зарегистрированы", "Activation: invited and registered"},
	"chart.activation.desc":   {"Сколько сотрудников получили приглашение и сколько из них подключились к боту, нарастающим итогом.", "How many employees were invited and how many of them joined the bot, cumulative."},
	"chart.active":            {"Активные сотрудники", "Active employees"},
	"chart.active.desc":       {"Сколько сотрудников написали боту хотя бы раз за день (неделю, месяц — для длинных периодов).", "How many employees wrote to the bot at least once a day (a week or a month for long periods)."},
	"chart.mau":               {"Активные за месяц (MAU)", "Monthly active employees (MAU)"},
	"chart.mau.desc":          {"Сколько сотрудников написали боту хотя бы раз за календарный месяц.", "How many employees wrote to the bot at least once in a calendar month."},
	"chart.messages":          {"Сообщения по каналам", "Messages by channel"},
	"chart.messages.desc":     {"Сообщения сотрудников боту и бота сотрудникам по дням, отдельно для каждого канала.", "Messages from employees to the bot and from the bot to employees, per channel."},
	"chart.cohorts":           {"Адаптация по когортам", "Onboarding by cohort"},
	"chart.cohorts.desc":      {"Новички по месяцу приёма: завершили адаптацию, в процессе, застряли, ещё не подключились.", "Newcomers by hire month: finished onboarding, in progress, stuck, not yet joined."},
	"chart.questions":         {"Вопросы в чате", "Questions in the chat"},
	"chart.questions.desc":    {"Сколько вопросов задали боту, на сколько он не нашёл ответа и сколько передано в HR.", "How many questions the bot got, how many it could not answer and how many went to HR."},
	"chart.top_articles":      {"Популярные ответы", "Top answers"},
	"chart.top_articles.desc": {"Статьи базы знаний, которыми бот отвечал чаще всего.", "Knowledge-base articles the bot answered with most often."},

	"chart.tickets":                {"Обращения: открыто и решено", "Tickets: opened and resolved"},
	"chart.tickets.desc":           {"Сколько обращений сотрудники открыли и сколько HR решил, по дням (неделям, месяцам — для длинных периодов).", "How many tickets employees opened and how many HR resolved, per day (week or month for long periods)."},
	"chart.ticket_categories":      {"Обращения по категориям", "Tickets by category"},
	"chart.ticket_categories.desc": {"Открыто и решено за период в каждой категории (очереди).", "Opened and resolved in the period in each category (queue)."},
	"chart.ticket_times":           {"Время первого ответа и решения", "First response and resolution times"},
	"chart.ticket_times.desc":      {"Медиана и 90-й перцентиль в рабочих часах по производственному календарю компании.", "Median and 90th percentile in working hours on the company's production calendar."},
	"chart.sla":                    {"Нарушения SLA", "SLA breaches"},
	"chart.sla.desc":               {"Сколько сроков первого ответа и решения истекло, по дню, когда срок истёк.", "How many first-response and resolution targets ran out, by the day they ran out."},
	"chart.csat":                   {"Оценки сотрудников (CSAT)", "Employee ratings (CSAT)"},
	"chart.csat.desc":              {"Как сотрудники оценили решённые за период обращения, от 1 до 5.", "How employees rated the tickets resolved in the period, from 1 to 5."},

	"x.day":      {"День", "Day"},
	"x.week":     {"Неделя (с понедельника)", "Week (from Monday)"},
	"x.month":    {"Месяц", "Month"},
	"x.cohort":   {"Месяц приёма", "Hire month"},
	"x.article":  {"Статья", "Article"},
	"x.category": {"Категория", "Category"},
	"x.rating":   {"Оценка", "Rating"},

	"s.invited":     {"Приглашены", "Invited"},
	"s.registered":  {"Зарегистрированы", "Registered"},
	"s.active_d":    {"Активные за день", "Active that day"},
	"s.active_w":    {"Активные за неделю", "Active that week"},
	"s.active_m":    {"Активные за месяц", "Active that month"},
	"s.msg_in":      {"%s: от сотрудников", "%s: from employees"},
	"s.msg_out":     {"%s: от бота", "%s: from the bot"},
	"s.done":        {"Завершили", "Finished"},
	"s.in_progress": {"В процессе", "In progress"},
	"s.stuck":       {"Застряли", "Stuck"},
	"s.not_started": {"Не подключились", "Not joined"},
	"s.questions":   {"Вопросы", "Questions"},
	"s.unknown":     {"Без ответа", "Unanswered"},
	"s.to_hr":       {"Переданы в HR", "Passed to HR"},
	"s.answers":     {"Ответы", "Answers"},

	"s.tickets_created":          {"Открыто", "Opened"},
	"s.tickets_resolved":         {"Решено", "Resolved"},
	"s.first_response_median":    {"Первый ответ, медиана, ч", "First response, median, h"},
	"s.first_response_p90":       {"Первый ответ, 90-й перцентиль, ч", "First response, 90th percentile, h"},
	"s.resolution_median":        {"Решение, медиана, ч", "Resolution, median, h"},
	"s.resolution_p90":           {"Решение, 90-й перцентиль, ч", "Resolution, 90th percentile, h"},
	"s.first_response_breached":  {"Просрочен первый ответ", "First response overdue"},
	"s.resolution_breached":      {"Просрочено решение", "Resolution overdue"},
	"s.ratings":                  {"Оценок", "Ratings"},
	"unit.h":                     {" ч", " h"},
	"st.tickets_opened":          {"Открыто за период", "Opened in the period"},
	"st.tickets_resolved":        {"Решено за период", "Resolved in the period"},
	"st.tickets_active":          {"В работе сейчас", "Open now"},
	"st.first_response_median":   {"Первый ответ, медиана", "First response, median"},
	"st.first_response_p90":      {"Первый ответ, 90-й перцентиль", "First response, 90th percentile"},
	"st.first_response_n":        {"Первых ответов", "First responses"},
	"st.resolution_median":       {"Решение, медиана", "Resolution, median"},
	"st.resolution_p90":          {"Решение, 90-й перцентиль", "Resolution, 90th percentile"},
	"st.resolution_n":            {"Решений", "Resolutions"},
	"st.first_response_on_time":  {"Первый ответ в срок", "First response on time"},
	"st.first_response_breached": {"Просрочек первого ответа", "First responses overdue"},
	"st.resolution_on_time":      {"Решено в срок", "Resolved on time"},
	"st.resolution_breached":     {"Просрочек решения", "Resolutions overdue"},
	"st.rating_average":          {"Средняя оценка", "Average rating"},
	"st.csat":                    {"CSAT (оценки 4–5)", "CSAT (ratings 4–5)"},
	"st.rated":                   {"Оценок", "Ratings"},
	"st.rating_response":         {"Оценили решённые", "Resolved tickets rated"},
	"note.tickets":               {"Решённым считается обращение в статусе «решено» или «закрыто»; вновь открытое считается решённым в день последнего решения. «В работе сейчас» — новые, открытые и ждущие сотрудника, без учёта периода.", "A ticket counts as resolved when it is resolved or closed; a reopened one counts on the day it was last resolved. “Open now” is new, open and waiting tickets, whatever the period."},
	"note.ticket_categories":     {"Категории показаны по числу открытых обращений; архивные — только если в них были обращения за период.", "Categories are ordered by tickets opened; archived ones show only when they had tickets in the period."},
	"note.ticket_times":          {"Время считается от открытия обращения в рабочих часах компании (праздники, переносы и сокращённые дни — по производственному календарю и настройкам компании); решение включает время ожидания ответа сотрудника. Первый ответ — по дню ответа, решение — по дню решения. Перцентили — методом ближайшего ранга; точка без обращений не показывается.", "Times run from the ticket's opening in the company's working hours (holidays, moved and shortened days from the production calendar and the company's settings); resolution includes time waiting for the employee. First responses count on the day of the reply, resolutions on the day resolved. Percentiles use the nearest-rank method; a point without tickets is not drawn."},
	"note.sla":                   {"Сроки — из настроек категорий и считаются в рабочем времени; ожидание ответа сотрудника срок решения не расходует. «В срок» — доля ответов (решений) за период, пришедших до истечения срока, среди обращений со сроком.", "Targets come from the categories' settings and run in working time; waiting for the employee does not use up the resolution target. “On time” is the share of replies (resolutions) in the period that came before their target ran out, among tickets that had one."},
	"note.csat":                  {"После решения бот просит оценить ответ от 1 до 5. CSAT — доля оценок 4 и 5 среди всех оценок; «оценили решённые» — доля решённых за период обращений с оценкой.", "Once a ticket is resolved the bot asks for a rating from 1 to 5. CSAT is the share of 4s and 5s among all ratings; “resolved tickets rated” is the share of tickets resolved in the period that got one."},

	"ch.webchat": {"Веб-чат", "Web chat"},
	"ch.none":    {"Без канала", "No channel"},

	"st.invited":              {"Приглашено всего", "Invited in total"},
	"st.registered":           {"Зарегистрировано всего", "Registered in total"},
	"st.activation":           {"Активация", "Activation rate"},
	"st.new_registered":       {"Новых регистраций за период", "New registrations in the period"},
	"st.average.day":          {"В среднем за день", "Average per day"},
	"st.average.week":         {"В среднем за неделю", "Average per week"},
	"st.average.month":        {"В среднем за месяц", "Average per month"},
	"st.peak":                 {"Максимум", "Peak"},
	"st.mau":                  {"MAU, %s", "MAU, %s"},
	"st.headcount":            {"Численность", "Headcount"},
	"st.mau_headcount":        {"MAU / численность", "MAU / headcount"},
	"st.stickiness":           {"DAU / MAU", "DAU / MAU"},
	"st.msg_in":               {"Сообщений от сотрудников", "Messages from employees"},
	"st.msg_out":              {"Сообщений от бота", "Messages from the bot"},
	"st.newcomers":            {"Новичков", "Newcomers"},
	"st.completion":           {"Завершили адаптацию", "Finished onboarding"},
	"st.stuck":                {"Застряли сейчас", "Stuck now"},
	"st.questions":            {"Вопросов", "Questions"},
	"st.unanswered":           {"Без ответа", "Unanswered"},
	"st.deflection":           {"Решено без HR (deflection)", "Resolved without HR (deflection)"},
	"st.containment":          {"Ответ помог (containment)", "Answer helped (containment)"},
	"note.activation":         {"Приглашён — сотрудник получил первое приглашение; зарегистрирован — привязал мессенджер и дал согласие. Повторные приглашения не считаются.", "Invited: the employee got a first invite; registered: linked a messenger and gave consent. Re-invites are not counted again."},
	"note.active":             {"Активный — написал боту или нажал кнопку; полученные рассылки не считаются. Каждый сотрудник считается один раз за день, неделю и месяц.", "Active: wrote to the bot or pressed a button; receiving a broadcast does not count. Each employee counts once a day, week and month."},
	"note.mau":                {"MAU считается по календарным месяцам. Итоги — за последний полный месяц; численность — на последний день периода. Для HR-бота обращения эпизодические, DAU/MAU заметно ниже, чем у приложений.", "MAU is per calendar month. The headline figures are for the last complete month; headcount is on the last day of the period. HR use is episodic, so DAU/MAU is far lower than for apps."},
	"note.messages":           {"Исходящие без получателя-сотрудника учитываются без подразделения и офиса.", "Outgoing messages without an employee recipient are counted without a department or office."},
	"note.cohorts":            {"Застрял — сценарий остановился с ошибкой, вопрос без ответа или задача руководителя/наставника открыта дольше %d ч. Не подключились — нет регистрации в боте. Показываются не меньше шести последних месяцев приёма.", "Stuck: the scenario failed, a question or a manager's or mentor's task has waited more than %d h. Not joined: no registration in the bot. At least the last six hire months are shown."},
	"note.questions":          {"Deflection — доля вопросов, не переданных в HR; containment — доля вопросов, где сотрудник отметил, что ответ помог.", "Deflection is the share of questions not passed to HR; containment the share where the employee said the answer helped."},
	"note.top_articles":       {"Считаются вопросы, к которым бот подобрал статью, за весь период; дни старше двух суток берутся из дневных итогов.", "Questions the bot matched with an article, over the whole period; days older than two are read from daily totals."},
	"digest.title":            {"Еженедельная сводка HR · %s", "Weekly HR digest · %s"},
	"digest.week":             {"Неделя %s — %s", "Week %s to %s"},
	"digest.invited":          {"Приглашено новых сотрудников: %d", "Employees invited: %d"},
	"digest.registered":       {"Подключились к боту: %d (активация всего %s)", "Joined the bot: %d (activation in total %s)"},
	"digest.active":           {"Активных за неделю: %d", "Active this week: %d"},
	"digest.messages":         {"Сообщений: от сотрудников %d, от бота %d", "Messages: from employees %d, from the bot %d"},
	"digest.questions":        {"Вопросов в чате: %d, без ответа %s, передано в HR %d", "Questions in the chat: %d, unanswered %s, passed to HR %d"},
	"digest.onboarding":       {"Адаптация: в процессе %d, завершили за неделю %d", "Onboarding: in progress %d, finished this week %d"},
	"digest.attention":        {"Требует внимания:", "Needs attention:"},
	"digest.stuck":            {"• застряли в адаптации: %d", "• stuck in onboarding: %d"},
	"digest.tasks":            {"• задач руководителей и наставников просрочено: %d", "• overdue manager and mentor tasks: %d"},
	"digest.not_joined":       {"• приглашены, но не подключились за 7 дней: %d", "• invited but not joined within 7 days: %d"},
	"digest.unanswered":       {"• вопросов без ответа: %d — добавьте статьи в базу знаний", "• unanswered questions: %d; add articles to the knowledge base"},
	"digest.review_due":       {"• статей пора проверить: %d — они в кабинете, раздел «База знаний»", "• articles due for review: %d; see the cabinet's knowledge base"},
	"digest.tickets":          {"Обращения в HR: открыто %d, решено %d", "Tickets to HR: opened %d, resolved %d"},
	"digest.requests":         {"Заявок сотрудников у HR сейчас: %d", "Employees' requests with HR now: %d"},
	"digest.requests_overdue": {"• заявок с истёкшим сроком выдачи (ст. 62 ТК РФ): %d", "• requests past their legal deadline (Labour Code art. 62): %d"},
	"digest.all_good":         {"Ничего срочного. Хорошей недели!", "Nothing urgent. Have a good week!"},
	"digest.link":             {"Подробнее в кабинете: %s", "Details in the cabinet: %s"},
	"digest.unsubscribe":      {"Сводку можно отключить в кабинете: Настройки → Отчёты.", "You can turn the digest off in the cabinet: Settings → Reports."},
	"digest.subject":          {"Сводка HR за неделю %s — %s", "HR digest for %s to %s"},
	"digest.onboarding.0":     {"Адаптация: новичков в процессе нет", "Onboarding: no newcomers in progress"},
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
