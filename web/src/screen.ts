// One screen of the app (a group of users' view), rendered for a connected chain. Its own module
// so the screens and the shell (main.ts) both import it and not each other.
import type { Chain } from "./chain";

export interface Screen {
  render(chain: Chain): Promise<HTMLElement>;
}

/**
 * A screen as the navigation knows it: its route (`#id`), its title, and its code, loaded on
 * first use (each screen is a chunk of its own, so the first screen does not carry the others).
 */
export interface ScreenLink {
  id: string;
  title: string;
  load(): Promise<Screen>;
}
