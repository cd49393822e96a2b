//! The terminal screen of `bithive chat`: windows (the status window and one per conversation),
//! a list of them with unread counts, the typed line and what keys do. No I/O: the session feeds
//! it lines and keys, and draws it on any ratatui backend (tests draw it on a `TestBackend`).

use std::collections::VecDeque;

use bithive_bitchat::chat::ConversationId;
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

/// Lines a window keeps (older ones scroll away; the conversation's history stays on disk).
pub const WINDOW_LINES: usize = 2_000;
/// Characters of one line a window keeps (a message of a megabyte is cut, not wrapped on every
/// key).
pub const LINE_CHARS: usize = 4_096;
/// Lines typed that Up and Down bring back.
const TYPED_KEPT: usize = 100;
/// Narrower than this, the window list is hidden (Tab and Alt-digits still switch).
const LIST_FROM_WIDTH: u16 = 72;
const LIST_WIDTH: u16 = 26;
/// Rows one notch of the mouse wheel scrolls.
const WHEEL_ROWS: usize = 3;

/// What a line is, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A message someone else wrote.
    Theirs,
    /// What you wrote.
    Mine,
    /// What the program says (answers to commands, joins, receipts).
    Info,
    /// Something went wrong.
    Error,
    /// A log record (warnings of the node beneath).
    Log,
}

#[derive(Clone, Debug)]
struct ScreenLine {
    kind: Kind,
    text: String,
}

#[derive(Debug)]
struct Window {
    /// `None`: the status window.
    conversation: Option<ConversationId>,
    title: String,
    lines: VecDeque<ScreenLine>,
    unread: usize,
    /// Screen rows scrolled back from the newest line.
    scroll: usize,
}

impl Window {
    fn new(conversation: Option<ConversationId>, title: String) -> Self {
        Window {
            conversation,
            title,
            lines: VecDeque::new(),
            unread: 0,
            scroll: 0,
        }
    }
}

/// What a key asked the session to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// A line was typed (a message or a command).
    Submit(String),
    /// Another window is in front now: its conversation (`None`: the status window).
    Switched(Option<ConversationId>),
    Quit,
}

pub struct Screen {
    /// Who you are, on the top line.
    header: String,
    /// How you are reachable (the node's last word on it).
    reach: String,
    windows: Vec<Window>,
    current: usize,
    input: Vec<char>,
    /// The cursor, in chars of `input`.
    cursor: usize,
    typed: VecDeque<String>,
    /// Which typed line Up brought back (an index into `typed`).
    recalled: Option<usize>,
    /// Rows of the message area at the last draw (what a page is).
    page: usize,
    /// Where the window list was at the last draw (`None`: hidden, the terminal is narrow):
    /// what a click picks from.
    list_area: Option<Rect>,
}

impl Screen {
    pub fn new(header: String) -> Self {
        Screen {
            header,
            reach: String::new(),
            windows: vec![Window::new(None, "status".into())],
            current: 0,
            input: Vec::new(),
            cursor: 0,
            typed: VecDeque::new(),
            recalled: None,
            page: 10,
            list_area: None,
        }
    }

    pub fn set_reach(&mut self, reach: String) {
        self.reach = reach;
    }

    /// The window of `c`, made (and titled) if it has none yet; its index.
    pub fn window(&mut self, c: &ConversationId, title: String) -> usize {
        if let Some(i) = self.index_of(c) {
            self.windows[i].title = title;
            return i;
        }
        self.windows.push(Window::new(Some(c.clone()), title));
        self.windows.len() - 1
    }

    fn index_of(&self, c: &ConversationId) -> Option<usize> {
        self.windows
            .iter()
            .position(|w| w.conversation.as_ref() == Some(c))
    }

    /// The conversation in front (`None`: the status window).
    pub fn current(&self) -> Option<&ConversationId> {
        self.windows[self.current].conversation.as_ref()
    }

    /// Brings `c`'s window (or the status window) to the front; its unread count is cleared.
    pub fn show(&mut self, c: Option<&ConversationId>) {
        let i = match c {
            Some(c) => self.index_of(c).unwrap_or(0),
            None => 0,
        };
        self.current = i;
        self.windows[i].unread = 0;
    }

    /// A line into `c`'s window (the status window for `None`); returns whether the window was
    /// in front. Messages into a window behind count as unread.
    pub fn push(&mut self, c: Option<&ConversationId>, kind: Kind, text: &str) -> bool {
        self.push_line(c, kind, text, true)
    }

    /// A line said before this session (a conversation's history): never unread.
    pub fn push_old(&mut self, c: &ConversationId, kind: Kind, text: &str) {
        self.push_line(Some(c), kind, text, false);
    }

    fn push_line(
        &mut self,
        c: Option<&ConversationId>,
        kind: Kind,
        text: &str,
        news: bool,
    ) -> bool {
        let i = match c {
            Some(c) => self.index_of(c).unwrap_or(0),
            None => 0,
        };
        let w = &mut self.windows[i];
        // One screen line per line of text; control characters never reach the terminal.
        for part in text.split('\n') {
            let mut text = clean(part);
            if let Some((cut, _)) = text.char_indices().nth(LINE_CHARS) {
                let more = text[cut..].chars().count();
                text.truncate(cut);
                text.push_str(&format!(" … ({more} more characters not shown)"));
            }
            w.lines.push_back(ScreenLine { kind, text });
            if w.scroll > 0 {
                w.scroll += 1;
            }
        }
        while w.lines.len() > WINDOW_LINES {
            w.lines.pop_front();
        }
        let in_front = i == self.current;
        if news && !in_front && kind == Kind::Theirs {
            w.unread += 1;
        }
        in_front
    }

    /// A line into the window in front (answers to what was typed there).
    pub fn reply(&mut self, kind: Kind, text: &str) {
        let c = self.current().cloned();
        self.push(c.as_ref(), kind, text);
    }

    /// Whether the window in front shows its newest line (not scrolled back): what comes in
    /// there is seen.
    pub fn at_newest(&self) -> bool {
        self.windows[self.current].scroll == 0
    }

    pub fn unread(&self, c: &ConversationId) -> usize {
        self.index_of(c).map_or(0, |i| self.windows[i].unread)
    }

    /// What a key does.
    pub fn key(&mut self, k: KeyEvent) -> Option<Action> {
        if k.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let alt = k.modifiers.contains(KeyModifiers::ALT);
        match k.code {
            KeyCode::Char('c') if ctrl => return Some(Action::Quit),
            KeyCode::Char('d') if ctrl && self.input.is_empty() => return Some(Action::Quit),
            KeyCode::Char('u') if ctrl => {
                self.input.drain(..self.cursor);
                self.cursor = 0;
            }
            KeyCode::Char('w') if ctrl => {
                let mut start = self.cursor;
                while start > 0 && self.input[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && self.input[start - 1] != ' ' {
                    start -= 1;
                }
                self.input.drain(start..self.cursor);
                self.cursor = start;
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.input.len(),
            KeyCode::Char('n') if ctrl => return self.switch_by(1),
            KeyCode::Char('p') if ctrl => return self.switch_by(-1),
            KeyCode::Char(d) if alt && d.is_ascii_digit() => {
                let i = d.to_digit(10).unwrap_or(0) as usize;
                if i < self.windows.len() {
                    return self.switch_to(i);
                }
            }
            // Ctrl and Alt together is AltGr on some terminals: a character (`@`, `€`).
            KeyCode::Char(_) if ctrl != alt => {}
            KeyCode::Char(ch) => {
                self.input.insert(self.cursor, ch);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.input.remove(self.cursor);
            }
            KeyCode::Delete if self.cursor < self.input.len() => {
                self.input.remove(self.cursor);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.input.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.input.len(),
            KeyCode::Up => self.recall(true),
            KeyCode::Down => self.recall(false),
            KeyCode::PageUp => self.scroll_back(self.page.max(1)),
            KeyCode::PageDown => self.scroll_forward(self.page.max(1)),
            KeyCode::Tab => return self.switch_by(1),
            KeyCode::BackTab => return self.switch_by(-1),
            KeyCode::Enter => {
                let line: String = self.input.drain(..).collect();
                self.cursor = 0;
                self.recalled = None;
                let line = line.trim().to_string();
                if line.is_empty() {
                    return None;
                }
                if self.typed.back() != Some(&line) {
                    self.typed.push_back(line.clone());
                    if self.typed.len() > TYPED_KEPT {
                        self.typed.pop_front();
                    }
                }
                self.windows[self.current].scroll = 0;
                return Some(Action::Submit(line));
            }
            _ => {}
        }
        None
    }

    /// What the mouse does: the wheel scrolls the window in front, a click on the window list
    /// brings that window to the front. Anything else (moves, drags, other buttons) does
    /// nothing.
    pub fn mouse(&mut self, m: MouseEvent) -> Option<Action> {
        match m.kind {
            MouseEventKind::ScrollUp => self.scroll_back(WHEEL_ROWS),
            MouseEventKind::ScrollDown => self.scroll_forward(WHEEL_ROWS),
            MouseEventKind::Down(MouseButton::Left) => {
                let list = self.list_area?;
                // Inside the list's border: one row per window, from the top.
                let inside = m.column > list.x
                    && m.column + 1 < list.x + list.width
                    && m.row > list.y
                    && m.row + 1 < list.y + list.height;
                let i = usize::from(m.row.saturating_sub(list.y + 1));
                if inside && i < self.windows.len() {
                    return self.switch_to(i);
                }
            }
            _ => {}
        }
        None
    }

    /// The window in front `rows` screen rows further back (never past its oldest line).
    fn scroll_back(&mut self, rows: usize) {
        let w = &mut self.windows[self.current];
        w.scroll = (w.scroll + rows).min(w.lines.len().saturating_sub(1));
    }

    /// The window in front `rows` screen rows nearer its newest line.
    fn scroll_forward(&mut self, rows: usize) {
        let w = &mut self.windows[self.current];
        w.scroll = w.scroll.saturating_sub(rows);
    }

    /// Pasted text goes into the typed line (as one line: a paste never sends by itself).
    pub fn paste(&mut self, text: &str) {
        for ch in text.chars() {
            let ch = if ch == '\n' || ch == '\r' || ch == '\t' {
                ' '
            } else {
                ch
            };
            if ch.is_control() {
                continue;
            }
            self.input.insert(self.cursor, ch);
            self.cursor += 1;
        }
    }

    fn switch_by(&mut self, step: isize) -> Option<Action> {
        let n = self.windows.len() as isize;
        let i = (self.current as isize + step).rem_euclid(n) as usize;
        self.switch_to(i)
    }

    fn switch_to(&mut self, i: usize) -> Option<Action> {
        if i == self.current {
            return None;
        }
        self.current = i;
        self.windows[i].unread = 0;
        Some(Action::Switched(self.windows[i].conversation.clone()))
    }

    fn recall(&mut self, older: bool) {
        if self.typed.is_empty() {
            return;
        }
        let last = self.typed.len() - 1;
        self.recalled = match (self.recalled, older) {
            (None, true) => Some(last),
            (None, false) => None,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i < last => Some(i + 1),
            (Some(_), false) => None,
        };
        self.input = match self.recalled {
            Some(i) => self.typed[i].chars().collect(),
            None => Vec::new(),
        };
        self.cursor = self.input.len();
    }

    /// Draws the whole screen on `frame`.
    pub fn render(&mut self, frame: &mut Frame) {
        let [top, middle, input, help] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(3),
            Constraint::Length(1),
        ])
        .areas(frame.area());
        let mut head = vec![Span::styled(
            format!(" BitChat · {}", self.header),
            Style::new().add_modifier(Modifier::BOLD),
        )];
        if !self.reach.is_empty() {
            head.push(Span::raw(format!(" · {}", self.reach)));
        }
        frame.render_widget(
            Paragraph::new(Line::from(head)).style(Style::new().bg(Color::Blue).fg(Color::White)),
            top,
        );
        let main = if middle.width >= LIST_FROM_WIDTH {
            let [list, main] =
                Layout::horizontal([Constraint::Length(LIST_WIDTH), Constraint::Min(20)])
                    .areas(middle);
            self.render_list(frame, list);
            self.list_area = Some(list);
            main
        } else {
            self.list_area = None;
            middle
        };
        self.render_window(frame, main);
        self.render_input(frame, input);
        frame.render_widget(
            Paragraph::new(
                " Enter send · Tab/Ctrl-N or a click: window · Alt-0..9 window · PgUp/PgDn/wheel scroll · /help · Ctrl-C quit",
            )
            .style(Style::new().add_modifier(Modifier::DIM)),
            help,
        );
    }

    fn render_list(&self, frame: &mut Frame, area: Rect) {
        let inner = (area.width as usize).saturating_sub(2);
        let rows: Vec<Line> = self
            .windows
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let mut text = format!("{i} {}", w.title);
                if w.unread > 0 {
                    let n = format!(" ({})", w.unread);
                    text = fit(&text, inner.saturating_sub(n.len()));
                    text.push_str(&n);
                } else {
                    text = fit(&text, inner);
                }
                let style = if i == self.current {
                    Style::new().add_modifier(Modifier::REVERSED)
                } else if w.unread > 0 {
                    Style::new().add_modifier(Modifier::BOLD).fg(Color::Yellow)
                } else {
                    Style::new()
                };
                Line::styled(text, style)
            })
            .collect();
        frame.render_widget(
            Paragraph::new(rows).block(Block::new().borders(Borders::ALL).title(" windows ")),
            area,
        );
    }

    fn render_window(&mut self, frame: &mut Frame, area: Rect) {
        let w = &self.windows[self.current];
        let width = (area.width as usize).saturating_sub(2).max(1);
        let height = (area.height as usize).saturating_sub(2);
        // Wrapped here (not by the widget) to know how many rows the newest lines take; from the
        // newest back, only as many as are shown.
        let mut rows: VecDeque<Line> = VecDeque::new();
        for l in w.lines.iter().rev() {
            if rows.len() >= height + w.scroll {
                break;
            }
            let style = match l.kind {
                Kind::Theirs => Style::new(),
                Kind::Mine => Style::new().fg(Color::Cyan),
                Kind::Info => Style::new().fg(Color::Yellow),
                Kind::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                Kind::Log => Style::new().add_modifier(Modifier::DIM),
            };
            for part in wrap(&l.text, width).into_iter().rev() {
                rows.push_front(Line::styled(part, style));
            }
        }
        let scroll = w.scroll.min(rows.len().saturating_sub(height));
        let end = rows.len() - scroll;
        let start = end.saturating_sub(height);
        let shown: Vec<Line> = rows.drain(start..end).collect();
        let mut title = format!(" {} ", w.title);
        if scroll > 0 {
            title.push_str(&format!("(scrolled back {scroll} lines: PgDn) "));
        }
        frame.render_widget(
            Paragraph::new(shown).block(Block::new().borders(Borders::ALL).title(title)),
            area,
        );
        self.page = height.saturating_sub(1).max(1);
    }

    fn render_input(&self, frame: &mut Frame, area: Rect) {
        let title = match self.current() {
            Some(_) => format!(" to {} ", self.windows[self.current].title),
            None => " a command (/help) ".to_string(),
        };
        let width = (area.width as usize).saturating_sub(2).max(1);
        let cols = |cs: &[char]| -> usize { cs.iter().map(|c| c.width().unwrap_or(0)).sum() };
        // The part of a long line around the cursor: from the first character that leaves the
        // cursor within the row.
        let mut first = 0;
        while first < self.cursor && cols(&self.input[first..self.cursor]) > width - 1 {
            first += 1;
        }
        let mut shown = String::new();
        let mut used = 0;
        for c in &self.input[first..] {
            let cw = c.width().unwrap_or(0);
            if used + cw > width {
                break;
            }
            used += cw;
            shown.push(*c);
        }
        frame.render_widget(
            Paragraph::new(clean(&shown)).block(Block::new().borders(Borders::ALL).title(title)),
            area,
        );
        let x = cols(&self.input[first..self.cursor]).min(width - 1) as u16;
        frame.set_cursor_position((area.x + 1 + x, area.y + 1));
    }
}

/// A line as it may reach a terminal: terminal escapes removed, other control characters shown
/// escaped (as `printable` does for message bodies).
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            // A CSI sequence (the colours of a log line): up to its final byte.
            chars.next();
            for f in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&f) {
                    break;
                }
            }
        } else if c == '\t' {
            out.push(' ');
        } else if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` cut to `width` columns, with an ellipsis when cut.
fn fit(s: &str, width: usize) -> String {
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut cols = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if cols + cw + 1 > width {
            break;
        }
        cols += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// What a line's rows after its first begin with.
const HANG: &str = "  ";

/// `s` in rows of at most `width` columns, broken at spaces where a row has one; the rows after
/// the first indented by [`HANG`], so a message padded to wrap cannot start a row that reads as a
/// line of its own ("alice: ...") under someone else's name.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    let mut row = String::new();
    let mut cols = 0;
    // Where the last space of the row is (a byte offset in `row`, and its column).
    let mut space: Option<(usize, usize)> = None;
    let hanging = width.saturating_sub(HANG.len()).max(1);
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        let limit = if rows.is_empty() { width } else { hanging };
        if cols + cw > limit && !row.is_empty() {
            if c == ' ' {
                // The break itself: no row starts with it.
                rows.push(std::mem::take(&mut row));
                cols = 0;
                space = None;
                continue;
            }
            match space {
                Some((at, col)) if at > 0 => {
                    let rest = row.split_off(at + 1);
                    rows.push(row.trim_end().to_string());
                    row = rest;
                    cols -= col + 1;
                }
                _ => {
                    rows.push(std::mem::take(&mut row));
                    cols = 0;
                }
            }
            space = None;
        }
        if c == ' ' {
            space = Some((row.len(), cols));
        }
        row.push(c);
        cols += cw;
    }
    rows.push(row);
    for r in rows.iter_mut().skip(1) {
        r.insert_str(0, HANG);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn conv(n: u8) -> ConversationId {
        ConversationId(vec![n; 32])
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(s: &mut Screen, text: &str) -> Option<Action> {
        for c in text.chars() {
            assert_eq!(s.key(key(KeyCode::Char(c))), None);
        }
        s.key(key(KeyCode::Enter))
    }

    fn drawn(s: &mut Screen, w: u16, h: u16) -> Vec<String> {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| s.render(f)).unwrap();
        let buf = t.backend().buffer().clone();
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect()
    }

    #[test]
    fn lines_go_to_their_window_and_count_as_unread_behind() {
        let mut s = Screen::new("you are bithive1alice".into());
        s.window(&conv(1), "#010101 bob".into());
        s.window(&conv(2), "#020202 carol, dan".into());
        s.push_old(&conv(2), Kind::Theirs, "carol: said before");
        assert_eq!(s.unread(&conv(2)), 0);
        assert!(s.push(None, Kind::Info, "carol asks to talk"));
        assert!(!s.push(Some(&conv(1)), Kind::Theirs, "bob: hi"));
        assert!(!s.push(Some(&conv(1)), Kind::Theirs, "bob: there?"));
        assert!(!s.push(Some(&conv(1)), Kind::Info, "bob read: hello"));
        assert_eq!(s.unread(&conv(1)), 2);
        let screen = drawn(&mut s, 100, 14).join("\n");
        assert!(screen.contains("1 #010101 bob (2)"), "{screen}");
        assert!(screen.contains("carol asks to talk"), "{screen}");
        assert!(!screen.contains("bob: hi"), "{screen}");
        // Tab brings the next window in front and says which conversation it is.
        assert_eq!(
            s.key(key(KeyCode::Tab)),
            Some(Action::Switched(Some(conv(1))))
        );
        assert_eq!(s.unread(&conv(1)), 0);
        let screen = drawn(&mut s, 100, 14).join("\n");
        assert!(screen.contains("bob: there?"), "{screen}");
        assert!(screen.contains("to #010101 bob"), "{screen}");
        assert!(s.push(Some(&conv(1)), Kind::Theirs, "bob: yes"));
        assert_eq!(s.unread(&conv(1)), 0);
        // Alt-0 is the status window; Shift-Tab goes back round.
        assert_eq!(
            s.key(KeyEvent::new(KeyCode::Char('0'), KeyModifiers::ALT)),
            Some(Action::Switched(None))
        );
        assert_eq!(
            s.key(key(KeyCode::BackTab)),
            Some(Action::Switched(Some(conv(2))))
        );
    }

    fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
        MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }
    }

    #[test]
    fn the_wheel_scrolls_and_a_click_on_the_list_picks_a_window() {
        let mut s = Screen::new("me".into());
        s.window(&conv(1), "#010101 bob".into());
        s.window(&conv(2), "#020202 carol".into());
        for i in 0..30 {
            s.push(None, Kind::Info, &format!("line {i}"));
        }
        // 100 x 14: the list is columns 0..26 of rows 1..10, its border around it.
        drawn(&mut s, 100, 14);
        let click = |c, r| mouse(MouseEventKind::Down(MouseButton::Left), c, r);
        assert_eq!(s.mouse(click(5, 3)), Some(Action::Switched(Some(conv(1)))));
        assert_eq!(s.mouse(click(24, 4)), Some(Action::Switched(Some(conv(2)))));
        assert_eq!(s.mouse(click(5, 2)), Some(Action::Switched(None)));
        // Already in front, the border, below the last window, the message area, a right
        // click, a release: nothing.
        for m in [
            click(5, 2),
            click(5, 1),
            click(0, 3),
            click(25, 3),
            click(5, 6),
            click(40, 3),
            mouse(MouseEventKind::Down(MouseButton::Right), 5, 3),
            mouse(MouseEventKind::Up(MouseButton::Left), 5, 3),
            mouse(MouseEventKind::Moved, 5, 3),
        ] {
            assert_eq!(s.mouse(m), None, "{m:?}");
        }
        assert_eq!(s.current(), None);
        // The wheel: three rows a notch, back and forward again, never past the newest.
        assert_eq!(s.mouse(mouse(MouseEventKind::ScrollUp, 40, 5)), None);
        assert!(!s.at_newest());
        let screen = drawn(&mut s, 100, 14).join("\n");
        assert!(screen.contains("scrolled back 3 lines"), "{screen}");
        assert!(!screen.contains("line 29"), "{screen}");
        s.mouse(mouse(MouseEventKind::ScrollDown, 40, 5));
        s.mouse(mouse(MouseEventKind::ScrollDown, 40, 5));
        assert!(s.at_newest());
        assert!(drawn(&mut s, 100, 14).join("\n").contains("line 29"));
        // Narrow, the list is hidden: a click where it was picks nothing.
        drawn(&mut s, 60, 14);
        assert_eq!(s.mouse(click(5, 3)), None);
        assert_eq!(s.current(), None);
    }

    #[test]
    fn typing_edits_submits_and_recalls_lines() {
        let mut s = Screen::new("me".into());
        assert_eq!(
            typed(&mut s, "  hello world "),
            Some(Action::Submit("hello world".into()))
        );
        assert_eq!(typed(&mut s, ""), None);
        for c in "helo".chars() {
            s.key(key(KeyCode::Char(c)));
        }
        s.key(key(KeyCode::Left));
        s.key(key(KeyCode::Char('l')));
        s.key(key(KeyCode::End));
        s.key(key(KeyCode::Char('!')));
        assert_eq!(
            s.key(key(KeyCode::Enter)),
            Some(Action::Submit("hello!".into()))
        );
        // Up brings back what was typed, newest first; Down goes forward again.
        s.key(key(KeyCode::Up));
        s.key(key(KeyCode::Up));
        assert_eq!(
            s.key(key(KeyCode::Enter)),
            Some(Action::Submit("hello world".into()))
        );
        for c in "one two".chars() {
            s.key(key(KeyCode::Char(c)));
        }
        s.key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(
            s.key(key(KeyCode::Enter)),
            Some(Action::Submit("one".into()))
        );
        // A paste lands in the line whole, new lines as spaces; Enter sends it.
        s.paste("bitchat1abc\ndef\x1b");
        s.key(KeyEvent::new(
            KeyCode::Char('@'),
            KeyModifiers::CONTROL | KeyModifiers::ALT,
        ));
        assert_eq!(
            s.key(key(KeyCode::Enter)),
            Some(Action::Submit("bitchat1abc def@".into()))
        );
        assert_eq!(
            s.key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            s.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn no_message_can_drive_the_terminal_or_forge_a_line() {
        let mut s = Screen::new("me".into());
        s.push(
            None,
            Kind::Theirs,
            "mallory: hi\x1b[2J\x1b]0;title\x07\r  bob: forged",
        );
        s.push(
            None,
            Kind::Log,
            "\x1b[2m2026\x1b[0m \x1b[33mWARN\x1b[0m relay slow",
        );
        let screen = drawn(&mut s, 90, 12).join("\n");
        assert!(!screen.contains('\x1b'), "{screen}");
        assert!(screen.contains("mallory: hi\\u{1b}]0;title\\u{7}\\r  bob: forged"));
        assert!(screen.contains("2026 WARN relay slow"), "{screen}");
    }

    #[test]
    fn long_lines_wrap_and_the_newest_stay_in_view() {
        let mut s = Screen::new("me".into());
        for i in 0..50 {
            s.push(None, Kind::Info, &format!("line {i}"));
        }
        s.push(
            None,
            Kind::Theirs,
            "bob: a long message that will not fit on one row of this narrow screen at all",
        );
        let rows = drawn(&mut s, 40, 12);
        let screen = rows.join("\n");
        // Narrow: no window list; the message wraps at spaces, its end on the last row.
        assert!(!screen.contains("windows"), "{screen}");
        assert!(
            screen.contains("│bob: a long message that will not"),
            "{screen}"
        );
        // The rows after the first hang by two columns.
        assert!(
            screen.contains("│  on one row of this narrow screen at"),
            "{screen}"
        );
        assert!(screen.contains("│  all "), "{screen}");
        assert!(!screen.contains("line 40"), "{screen}");
        // PageUp scrolls back, PageDown forward again.
        s.key(key(KeyCode::PageUp));
        let screen = drawn(&mut s, 40, 12).join("\n");
        assert!(screen.contains("line 45"), "{screen}");
        assert!(!screen.contains("│  all "), "{screen}");
        assert!(screen.contains("scrolled back"), "{screen}");
        s.key(key(KeyCode::PageDown));
        let screen = drawn(&mut s, 40, 12).join("\n");
        assert!(screen.contains("│  all "), "{screen}");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("ab cd ef", 5), vec!["ab cd", "  ef"]);
        assert_eq!(
            wrap("abcdefgh", 3),
            vec!["abc", "  d", "  e", "  f", "  g", "  h"]
        );
        assert_eq!(wrap("abcdefgh", 5), vec!["abcde", "  fgh"]);
        assert_eq!(wrap("", 3), vec![""]);
        // Wide characters take two columns.
        assert_eq!(wrap("日本語です", 4), vec!["日本", "  語", "  で", "  す"]);
        // A stranger's padding cannot start a row with a name of its own.
        let forged = format!("{} alice: send me the code", "x".repeat(30));
        let rows = wrap(&format!("bithive1zz: {forged}"), 42);
        assert!(rows[1..].iter().all(|r| r.starts_with(HANG)), "{rows:?}");
        assert_eq!(fit("#abcdef alice, bob", 10), "#abcdef a…");
    }

    #[test]
    fn a_huge_message_is_cut_and_drawn_quickly() {
        let mut s = Screen::new("me".into());
        for _ in 0..10 {
            s.push(None, Kind::Theirs, &"x".repeat(1 << 20));
        }
        let last = &s.windows[0].lines.back().unwrap().text;
        assert_eq!(last.chars().filter(|c| *c == 'x').count(), LINE_CHARS);
        assert!(last.ends_with(&format!(
            " … ({} more characters not shown)",
            (1 << 20) - LINE_CHARS
        )));
        let screen = drawn(&mut s, 80, 12).join("\n");
        assert!(screen.contains("not shown)"), "{screen}");
    }

    #[test]
    fn a_long_typed_line_keeps_the_cursor_in_view() {
        let mut s = Screen::new("me".into());
        for c in "x".repeat(200).chars() {
            s.key(key(KeyCode::Char(c)));
        }
        s.key(key(KeyCode::Char('Z')));
        let screen = drawn(&mut s, 60, 10).join("\n");
        assert!(screen.contains("xZ"), "{screen}");
    }
}
