/** The grammar: a pure chevrotain CstParser, built once and reused for every parse. */
import { CstParser, type IParserErrorMessageProvider, type TokenType, type IToken } from "chevrotain";
import {
  allTokens,
  Colon,
  Comma,
  Dot,
  Equals,
  FalseKw,
  Identifier,
  LBrace,
  LBracket,
  LParen,
  Minus,
  NoneKw,
  NumberTok,
  Plus,
  RBrace,
  RBracket,
  RParen,
  Separator,
  StringTok,
  TrueKw,
} from "./tokens.js";

function describe(tok: IToken): string {
  if (tok.tokenType.name === "EOF") return "the end of the input";
  if (tok.tokenType === Separator) return tok.image === ";" ? "';'" : "a line break";
  return `'${tok.image}'`;
}

function label(t: TokenType): string {
  return t.LABEL ?? t.name;
}

/** Messages in our voice rather than chevrotain's token dumps. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${label(expected)} but found ${describe(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describe(firstRedundant)} after the end of the expression`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    const what = ruleName === "expression" || ruleName === "atom" ? "a value (a number, a name, a call, a list, a tuple or a map)" : "a statement";
    return `expected ${what} but found ${describe(actual[0])}`;
  },
  buildEarlyExitMessage({ actual }) {
    return `unexpected ${describe(actual[0])}`;
  },
};

export class OptParser extends CstParser {
  constructor() {
    super(allTokens, { maxLookahead: 3, recoveryEnabled: false, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  public program = this.RULE("program", () => {
    this.OPTION(() => {
      this.SUBRULE(this.statement);
      this.MANY(() => {
        this.CONSUME(Separator);
        this.SUBRULE2(this.statement);
      });
    });
  });

  private statement = this.RULE("statement", () => {
    this.OR([
      {
        GATE: () => this.LA(1).tokenType === Identifier && this.LA(2).tokenType === Equals,
        ALT: () => this.SUBRULE(this.binding),
      },
      { ALT: () => this.SUBRULE(this.expression) },
    ]);
  });

  private binding = this.RULE("binding", () => {
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.expression);
  });

  private expression = this.RULE("expression", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      { ALT: () => this.SUBRULE(this.signedNumber) },
      { ALT: () => this.CONSUME(StringTok) },
      { ALT: () => this.CONSUME(TrueKw) },
      { ALT: () => this.CONSUME(FalseKw) },
      { ALT: () => this.CONSUME(NoneKw) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.map) },
      { ALT: () => this.SUBRULE(this.tuple) },
    ]);
  });

  private signedNumber = this.RULE("signedNumber", () => {
    this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(Minus) }, { ALT: () => this.CONSUME(Plus) }]));
    this.CONSUME(NumberTok);
  });

  private nameOrCall = this.RULE("nameOrCall", () => {
    this.CONSUME(Identifier);
    this.MANY(() => {
      this.CONSUME(Dot);
      this.CONSUME2(Identifier);
    });
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => {
        this.SUBRULE(this.argument);
        this.MANY2(() => {
          this.CONSUME(Comma);
          this.SUBRULE2(this.argument);
        });
        this.OPTION3(() => this.CONSUME2(Comma));
      });
      this.CONSUME(RParen);
    });
  });

  private argument = this.RULE("argument", () => {
    this.OPTION({
      GATE: () => this.LA(1).tokenType === Identifier && this.LA(2).tokenType === Equals,
      DEF: () => {
        this.CONSUME(Identifier);
        this.CONSUME(Equals);
      },
    });
    this.SUBRULE(this.expression);
  });

  private list = this.RULE("list", () => this.bracketedItems(LBracket, RBracket));

  /** Python's `(a, b)`: a tuple, or with one item and no comma a parenthesized expression. */
  private tuple = this.RULE("tuple", () => this.bracketedItems(LParen, RParen));

  /**
   * `open [expr (, expr)* [,]] close`, the body a list and a tuple share: a plain method, which
   * chevrotain records inline in each rule that calls it (once per rule, so its indices stay unique).
   */
  private bracketedItems(open: TokenType, close: TokenType): void {
    this.CONSUME(open);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.expression);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(close);
  }

  private map = this.RULE("map", () => {
    this.CONSUME(LBrace);
    this.OPTION(() => {
      this.SUBRULE(this.mapEntry);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.mapEntry);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RBrace);
  });

  private mapEntry = this.RULE("mapEntry", () => {
    this.SUBRULE(this.expression);
    this.CONSUME(Colon);
    this.SUBRULE2(this.expression);
  });
}

let instance: OptParser | undefined;

/**
 * The one parser instance, built on first use: chevrotain parsers are reusable by resetting
 * `input`, and building one (grammar self-analysis) costs a few milliseconds that an import of
 * optc for its runtime alone should not pay.
 */
export function parser(): OptParser {
  return (instance ??= new OptParser());
}
