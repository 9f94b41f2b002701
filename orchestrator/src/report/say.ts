import type { Lang } from './lang.js';
import * as en from './say-en.js';
import * as pt from './say-pt.js';

/** The sentences of a report, in the language asked for: the answer, a server's facts, the comparisons. */
export const SAY: Record<Lang, typeof en> = { en, 'pt-BR': pt };
