package helpdesk

import (
	"fmt"

	"github.com/staffbot/staffbot/internal/locale"
)

// texts are what employees and leads read in the chat, Russian first.
var texts = map[string][2]string{
	"menu.write": {"✍️ Написать в HR", "✍️ Write to HR"},
	"menu.list":  {"📋 Мои обращения", "📋 My requests"},

	"compose.ask": {
		"Опишите вопрос одним сообщением. Можно приложить файл или фото — они хранятся у компании в зашифрованном виде и никуда не пересылаются.",
		"Describe your question in one message. You may attach a file or a photo; they are kept encrypted by the company and sent nowhere else.",
	},
	"compose.category":  {"В какую категорию отправить обращение?", "Which category should the request go to?"},
	"compose.suggested": {"Похоже, это вопрос про «%s». Отправить в эту категорию или выберите другую:", "This looks like a question about “%s”. Send it there or pick another category:"},
	"compose.more":      {"Добавил к тексту обращения.", "Added to the request."},
	"compose.file":      {"Файл прикреплён.", "File attached."},
	"compose.need_text": {"Файл прикреплён. Теперь опишите вопрос текстом.", "File attached. Now describe your question in words."},
	"compose.cancel":    {"Отмена", "Cancel"},
	"compose.cancelled": {"Обращение не отправлено.", "The request was not sent."},
	"compose.stale":     {"Черновик обращения не найден. Нажмите «Написать в HR», чтобы начать заново.", "No request draft found. Press “Write to HR” to start again."},
	"suggest.mark":      {"✓ %s", "✓ %s"},

	"created": {
		"Обращение №%d («%s») принято. Ответ HR придёт сюда.%s\nСписок обращений: /tickets",
		"Request №%d (“%s”) received. HR will answer here.%s\nYour requests: /tickets",
	},
	"created.due":  {"\nПервый ответ — до %s.", "\nFirst answer by %s."},
	"from.faq":     {"Ваш вопрос передан в HR как обращение №%d («%s»). Ответ придёт сюда.", "Your question went to HR as request №%d (“%s”). The answer will come here."},
	"added":        {"Добавлено к обращению №%d.", "Added to request №%d."},
	"reply":        {"💬 Ответ HR по обращению №%d:\n\n%s", "💬 HR answered request №%d:\n\n%s"},
	"reply.wait":   {"\n\nHR ждёт вашего ответа — просто напишите сообщение.", "\n\nHR is waiting for your answer: just write a message."},
	"btn.reply":    {"Ответить", "Reply"},
	"btn.reopen":   {"Вопрос не решён", "Not solved"},
	"reply.prompt": {"Напишите сообщение — оно будет добавлено к обращению №%d.", "Write a message; it will be added to request №%d."},

	"status.open":     {"Обращение №%d взято в работу.", "Request №%d is being worked on."},
	"status.reopened": {"Обращение №%d снова в работе.", "Request №%d is open again."},
	"status.waiting":  {"По обращению №%d HR ждёт вашего ответа — напишите сообщение.", "HR is waiting for your answer on request №%d: write a message."},
	"status.resolved": {"Обращение №%d решено. Оцените, пожалуйста, ответ HR от 1 до 5:", "Request №%d is resolved. Please rate HR's answer from 1 to 5:"},
	"status.closed":   {"Обращение №%d закрыто.", "Request №%d is closed."},
	"status.closed_rate": {
		"Обращение №%d закрыто. Оцените, пожалуйста, ответ HR от 1 до 5:",
		"Request №%d is closed. Please rate HR's answer from 1 to 5:",
	},
	"closed.new": {
		"Обращение №%d уже закрыто. Чтобы продолжить, создайте новое.",
		"Request №%d is closed. To go on, write a new request.",
	},

	"rate.thanks":   {"Спасибо за оценку! Если хотите, напишите комментарий одним сообщением.", "Thank you for the rating! Add a comment in one message if you like."},
	"rate.skip":     {"Без комментария", "No comment"},
	"rate.done":     {"Спасибо за отзыв!", "Thank you for the feedback!"},
	"rate.already":  {"Обращение №%d уже оценено.", "Request №%d is rated already."},
	"rate.too_soon": {"Оценить можно после того, как обращение решено.", "You can rate a request once it is resolved."},

	"list.none":   {"У вас пока нет обращений в HR.", "You have no requests to HR yet."},
	"list.head":   {"Ваши обращения:", "Your requests:"},
	"list.line":   {"№%d · %s · %s · %s", "№%d · %s · %s · %s"},
	"list.rated":  {" · оценка %d", " · rated %d"},
	"list.active": {"\n\nОтветы приходят сюда. Чтобы дополнить обращение, ответьте на сообщение HR кнопкой «Ответить».", "\n\nAnswers come here. To add to a request, press “Reply” under HR's message."},

	"st.new":      {"новое", "new"},
	"st.open":     {"в работе", "in progress"},
	"st.waiting":  {"ждёт вашего ответа", "waiting for you"},
	"st.resolved": {"решено", "resolved"},
	"st.closed":   {"закрыто", "closed"},

	"lead.first_response": {
		"⚠️ Просрочен первый ответ по обращению №%d («%s»). Срок был %s.\n%s",
		"⚠️ First answer overdue on request №%d (“%s”). It was due %s.\n%s",
	},
	"lead.resolution": {
		"⚠️ Просрочено решение обращения №%d («%s»). Срок был %s.\n%s",
		"⚠️ Resolution overdue on request №%d (“%s”). It was due %s.\n%s",
	},
}

func t(lang locale.Lang, key string, args ...any) string {
	pair, ok := texts[key]
	if !ok {
		return key
	}
	s := pair[0]
	if lang == locale.EN && pair[1] != "" {
		s = pair[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
