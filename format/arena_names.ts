/** Names of the arenas every config has, which the compiler and the runtime both know. */
export const PARAMS = "params";
export const GRADS = "grads";
/** The state slot ema_params keeps its average of the params in (arena `<path>.ema_params`): run.emaParams() reads it. */
export const EMA_PARAMS_SLOT = "ema_params";
