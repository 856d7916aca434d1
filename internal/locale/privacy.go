package locale

// Texts for withdrawing consent (/revoke_consent).
func init() {
	for k, v := range map[string][2]string{
		"consent.revoke.ask": {
			"Вы хотите отозвать согласие на обработку персональных данных? Бот перестанет работать с вами, ваш аккаунт в боте будет отвязан, а имя, контакты и переписка — обезличены. Отменить это нельзя; чтобы снова пользоваться ботом, понадобится новое приглашение от HR.",
			"Do you want to withdraw your consent to the processing of your personal data? The bot will stop working with you, your bot account will be unlinked, and your name, contacts and messages anonymised. This cannot be undone; to use the bot again you will need a new invitation from HR.",
		},
		"consent.revoke.yes":  {"Да, отозвать", "Yes, withdraw"},
		"consent.revoke.no":   {"Нет, оставить", "No, keep it"},
		"consent.revoke.done": {"Согласие отозвано. Ваши данные в боте обезличены, аккаунт отвязан. Спасибо, что были с нами.", "Your consent is withdrawn. Your data in the bot is anonymised and your account unlinked. Thank you for being with us."},
		"consent.revoke.kept": {"Хорошо, согласие остаётся в силе.", "All right, your consent stays in force."},
	} {
		catalogue[k] = v
	}
}
