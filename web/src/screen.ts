// One screen of the app (a group of users' view), rendered for a connected chain. Its own module
// so the screens and the shell (main.ts) both import it and not each other.
import type { Chain } from "./chain";

export interface Screen {
  id: string;
  title: string;
  render(chain: Chain): Promise<HTMLElement>;
}
