package faq

// SmallTalk names a kind of chit-chat that gets a short friendly reply
// instead of an article.
type SmallTalk string

// The kinds of small talk the bot recognises.
const (
	TalkNone      SmallTalk = ""
	TalkGreeting  SmallTalk = "greeting"
	TalkThanks    SmallTalk = "thanks"
	TalkBye       SmallTalk = "bye"
	TalkWho       SmallTalk = "who"
	TalkHowAreYou SmallTalk = "how"
	TalkJoke      SmallTalk = "joke"
	TalkLove      SmallTalk = "love"
	TalkAck       SmallTalk = "ack"
	TalkAbuse     SmallTalk = "abuse"
	TalkElsewhere SmallTalk = "elsewhere" // weather, news, the time: not the bot's business
)

// smallTalkPhrases are matched on stems over the whole message; a message
// is small talk only when nothing else of substance is left in it.
var smallTalkPhrases = map[SmallTalk][]string{
	TalkGreeting: {
		"привет", "приветик", "приветствую", "здравствуй", "здравствуйте", "здрасте", "здрасьте",
		"добрый день", "доброе утро", "добрый вечер", "доброй ночи", "хай", "салют", "здорово", "алло",
		"hi", "hello", "hey", "good morning", "good afternoon", "good evening",
	},
	TalkThanks: {
		"спасибо", "спс", "благодарю", "спасибки", "пасиб", "мерси", "спасибо большое", "огромное спасибо",
		"thanks", "thank you", "thx", "ty",
	},
	TalkBye: {
		"пока", "до свидания", "до встречи", "всего доброго", "хорошего дня", "bye", "goodbye", "see you",
	},
	TalkWho: {
		"ты кто", "кто ты", "кто вы", "вы кто", "ты бот", "ты робот", "ты человек", "что ты умеешь",
		"что умеешь", "что ты можешь", "как тебя зовут", "твое имя", "сколько тебе лет", "ты живой",
		"who are you", "what are you", "are you a bot", "are you human", "what can you do", "your name",
	},
	TalkHowAreYou: {
		"как дела", "как ты", "как жизнь", "как поживаешь", "что нового", "как настроение",
		"how are you", "how is it going", "what's up", "whats up",
	},
	TalkJoke: {
		"шутка", "пошути", "шутить", "анекдот", "расскажи анекдот", "умеешь шутить", "рассмеши",
		"joke", "tell me a joke", "funny",
	},
	TalkLove: {
		"люблю", "я тебя люблю", "ты классный", "ты молодец", "ты лучший", "умница", "молодец",
		"love you", "i love you", "you are great", "good bot",
	},
	TalkAck: {
		"ок", "окей", "ok", "okay", "ладно", "понятно", "ясно", "хорошо", "отлично", "супер", "класс",
		"угу", "ага", "да", "нет", "понял", "поняла", "принято", "got it", "fine", "cool", "great",
	},
	TalkElsewhere: {
		"погода", "какая погода", "погода завтра", "прогноз погоды", "курс доллара", "курс валют", "курс евро",
		"который час", "сколько времени", "новости", "что по новостям", "кто выиграл", "что посмотреть",
		"посоветуй фильм", "посоветуй книгу", "что приготовить", "weather", "what time is it", "news",
	},
	TalkAbuse: {
		"дурак", "тупой", "глупый", "бесполезный", "idiot", "stupid", "useless",
	},
}

// smallTalkFiller are words that may surround small talk without making it
// a question: "ну привет", "спасибо тебе большое".
var smallTalkFiller = map[string]bool{
	"тебе": true, "тебя": true, "ты": true, "вам": true, "вас": true, "большое": true, "бот": true,
	"ну": true, "умеешь": true, "можешь": true, "какая": true, "какой": true, "завтра": true, "сегодня": true, "сейчас": true, "на": true, "очень": true, "you": true, "bot": true, "so": true,
	"much": true, "very": true, "a": true, "again": true, "еще": true, "раз": true, "all": true,
}

// smallTalkReplies are short answers, in Russian and English.
var smallTalkReplies = map[SmallTalk][2]string{
	TalkGreeting: {
		"Здравствуйте! Я HR-бот. Спросите меня об отпуске, зарплате, справках, больничном или о чём-то ещё по работе.",
		"Hello! I am the HR bot. Ask me about leave, pay, certificates, sick leave or anything else about work.",
	},
	TalkThanks: {"Пожалуйста! Обращайтесь, если будут ещё вопросы.", "You are welcome! Ask any time."},
	TalkBye:    {"Всего доброго! Если появятся вопросы — пишите.", "Goodbye! Write if you have questions."},
	TalkWho: {
		"Я HR-бот компании: отвечаю на вопросы по базе знаний — отпуск, зарплата, справки, больничные, командировки — и передаю в HR то, на что ответить не могу.",
		"I am the company's HR bot: I answer questions from the knowledge base — leave, pay, certificates, sick leave, business trips — and pass to HR what I cannot answer.",
	},
	TalkHowAreYou: {"Всё хорошо, спасибо! Чем помочь?", "All good, thank you! How can I help?"},
	TalkJoke: {
		"Шутить я только учусь, а вот про отпуск или справку расскажу всерьёз. Спрашивайте!",
		"I am still learning to joke, but I can tell you about leave or certificates quite seriously. Ask away!",
	},
	TalkLove: {"Спасибо, очень приятно! Чем ещё помочь?", "Thank you, that is kind! How else can I help?"},
	TalkAck:  {"Хорошо! Если будут вопросы — пишите.", "All right! Write if you have questions."},
	TalkElsewhere: {"С этим я не помогу: я отвечаю на рабочие вопросы — отпуск, зарплата, справки, больничные, командировки. Спросите меня о них.",
		"I can't help with that: I answer work questions — leave, pay, certificates, sick leave, business trips. Ask me about those."},
	TalkAbuse: {"Жаль, что не получилось помочь. Попробуйте сформулировать вопрос иначе или напишите в HR.", "Sorry I could not help. Try asking differently or write to HR."},
}

// Reply returns the answer to small talk in the language ("ru" or "en").
func (k SmallTalk) Reply(lang string) string {
	r, ok := smallTalkReplies[k]
	if !ok {
		return ""
	}
	if lang == "en" {
		return r[1]
	}
	return r[0]
}
