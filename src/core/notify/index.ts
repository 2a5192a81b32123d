export { Notifier, type DeliveryRecord, type NotifierOptions } from './sender';
export { eventOfEntry, notificationDocument, slackEscape, slackMessage, type NotificationDocument, type NotifyPlanInfo, type SlackMessage } from './payload';
export { postNotification, PostFailure, MAX_ANSWER_BYTES, type PostAnswer, type Poster, type PostRequest } from './post';
export { askGate, gatesForStage, type GateAnswer, type GateClock, type GateOptions, type PromotionQuestion } from './gate';
export { notifyTargetLabel, resolveTarget, TargetResolutionError, type ResolvedTarget } from './target';
export { planPromotionGate } from './gateControl';
