/**
 * Passwords seen most often in public breach corpora (and their obvious variants are caught by the
 * other rules: all digits, too short, similar to the email). Compared lower-cased.
 */
export const COMMON_PASSWORDS = new Set(
  `password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword pa$$word
  12345678 123456789 1234567890 87654321 11111111 00000000 12121212 11223344 147258369 123123123
  qwerty qwertyui qwertyuiop qwerty123 qwerty12 1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx qazwsxedc
  asdfghjk asdfghjkl asdf1234 zxcvbnm zxcvbnm1 abcd1234 abc12345 abcdefgh aa123456 a1b2c3d4
  iloveyou iloveyou1 iloveyou2 princess princess1 sunshine sunshine1 football football1 baseball
  basketball superman batman123 starwars pokemon1 whatever trustno1 letmein1 letmein123 welcome1
  welcome123 welcome! changeme changeme1 admin123 administrator adminadmin rootroot master123
  monkey123 dragon123 shadow123 michael1 jennifer jordan23 jessica1 charlie1 computer internet
  samsung1 liverpool chelsea1 arsenal1 barcelona  mustang1 corvette ferrari1 mercedes porsche1
  freedom1 secret123 security  default1 test1234 testtest testing123 guest123 hello123 helloworld
  lovely123 flower12 butterfly chocolate cookie123 cheese123 summer2023 summer2024 summer2025
  winter2024 winter2025 spring2025 autumn2025 january1 december1 11111111a 1234qwer qwer1234
  1234abcd q1w2e3r4 q1w2e3r4t5 azerty123 azertyuiop passpass mypassword yourpassword
  nopassword 123qweasd 123qweasdzxc 1qazxsw2 7777777a 88888888 99999999 66666666 55555555
  44444444 33333333 22222222 12344321 98765432 987654321 123654789 741852963 159753456
  football123 baseball1 hockey123 soccer123 tigger123 ginger123 pepper123 buster123 maggie123
  daniel123 thomas123 andrew123 joshua123 matthew1 robert123 william1 anthony1 ashley123
  nicole123 hannah123 amanda123 melissa1 michelle daniel12 justin123 purple123 orange123
  blink182 myspace1 linkedin facebook instagram twitter1 google123 youtube1 apple123 microsoft
  travel123 vacation holiday1 tripplanner trip1234 planner1`
    .split(/\s+/)
    .filter(Boolean),
);
