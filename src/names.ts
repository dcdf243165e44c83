// Name rules shared by every layer, in a module without zod: the CLI checks names before it connects and
// should not pay for loading a validation library to do it.
export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
