/** Names of the arenas every config has, which the compiler and the runtime both know. */
export const PARAMS = "params";
export const GRADS = "grads";
