/** Names of the arenas and counters that the compiler and the runtime both know. */
export const PARAMS = "params";
export const GRADS = "grads";
export const SAM_CACHE = "sam.cache";
export const SAM_PERTURBED = "sam.perturbed";
export const SAM_ADV_GRADS = "sam.adv_grads";
export const SAM_STEPS = "sam.steps_since_sync";
/** Arenas that hold gradients: checked for NaN/Inf before a phase reads them. */
export const GRADIENT_ARENAS = [GRADS, SAM_ADV_GRADS];
