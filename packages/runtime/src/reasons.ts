/**
 * Why a file went to rejected/: the one list of reason codes. The hasher answers with the first
 * four (INVALID_ARGUMENT, trailer booru-reason); dedup decides the others; the catalog stores
 * them and `booru rejected --reason` accepts exactly these.
 */
export const REJECTION_REASONS = ["corrupt", "unsupported", "too-large", "too-many-pixels", "md5-collision", "deleted", "outside-inbox", "max-deliveries"] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Reasons the hasher gives for a file it will never hash: the file is rejected, not retried. */
export const HASHER_REJECTIONS: ReadonlySet<string> = new Set<RejectionReason>(["corrupt", "unsupported", "too-large", "too-many-pixels"]);

export const isRejectionReason = (value: string): value is RejectionReason => (REJECTION_REASONS as readonly string[]).includes(value);
