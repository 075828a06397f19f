/** Moving between rooms; the app owns the URL, components only ask. */
export interface Navigation {
  create(): void;
  /** A room link, or the name of a named room. */
  join(target: string): Promise<void>;
  leave(): void;
}
