package faqbot

import (
	"fmt"

	"github.com/staffbot/staffbot/internal/locale"
)

// texts are what the FAQ says in the chat, in Russian and English.
var texts = map[string][2]string{
	"helped":     {"👍 Помогло", "👍 Helped"},
	"not.helped": {"👎 Не помогло", "👎 Did not help"},
	"to.hr":      {"Передать вопрос в HR", "Ask HR"},
	"source":     {"Источник: «%s»", "Source: «%s»"},
	"offer": {
		"Не уверен, что понял вопрос. Возможно, вы об этом:",
		"I am not sure I understood. Perhaps you mean one of these:",
	},
	"unknown": {
		"Честно скажу: ответа на этот вопрос в базе знаний пока нет. Могу передать его в HR — специалист ответит вам лично.",
		"To be honest, the knowledge base has no answer to this yet. I can pass your question to HR, and a specialist will answer you personally.",
	},
	"thanks.feedback": {"Спасибо за отзыв! Рад, что помог.", "Thank you for the feedback! Glad it helped."},
	"sorry": {
		"Жаль, что не помогло. Я записал вопрос, чтобы HR дополнили базу знаний. Передать его специалисту прямо сейчас?",
		"Sorry it did not help. I have noted the question so HR can improve the knowledge base. Shall I pass it to a specialist now?",
	},
	"sent.to.hr": {
		"Передал ваш вопрос в HR. Специалист ответит вам лично.",
		"I have passed your question to HR. A specialist will answer you personally.",
	},
	"stale": {"Этот вопрос уже закрыт. Напишите его ещё раз, если нужно.", "This question is closed. Ask again if you need to."},
}

func t(lang locale.Lang, key string, args ...any) string {
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
