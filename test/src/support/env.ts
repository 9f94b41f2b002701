// Imported before testcontainers: Ryuk (its reaper) cannot be pulled offline; socklab cleans up by label instead.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
export {};
