/** How dockerode reports an engine error: its HTTP status. */
export const status = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;

/** A 404 (or 409) means the resource is gone already, or going: fine for cleanup paths; anything else is thrown. */
export const gone = (e: unknown): void => {
  if (status(e) !== 404 && status(e) !== 409) throw e;
};
