# サインイン、認証アプリ、パスワード。

signin-title = サインイン
signin-with = { $provider } でサインイン
signin-or-local = または、このプラットフォームのアカウントで：
signin-username = ユーザー名
signin-password = パスワード
signin-code-next = パスワードの次に、認証アプリのコードを入力していただきます。

# ホームページと管理者のページで共通：プラットフォームのロール（PlatformRole::as_str）、
# 列挙の区切り、利用資格（有効期限、または無効な理由）。
accounts-role = { $role ->
    [administrator] 管理者
    [custodian] データ管理者
    [board_member] 倫理審査委員
    [researcher] 研究者
   *[other] { $role }
}
accounts-list-separator = 、
accounts-valid-until = { $until }まで有効
accounts-lapse = { $why ->
    [no_training] 修了した研修の記録がありません
    [expired] 研修の有効期限が { $on }に切れています
    [not_yet_completed] 研修の修了日が未来の日付で記録されています
    [no_declaration] 研究者の誓約に署名されていません
   *[other] { $why }
}

# ハンドラーが書くサインインの拒否理由（サインインのフォームとエラーページ）。
accounts-wrong-credentials = ユーザー名またはパスワードが正しくありません。
accounts-local-off = 所属機関の ID でサインインしてください。この環境ではローカルアカウントは使えません。
accounts-locked = 失敗が続いたため、このアカウントのサインインはしばらくロックされています。
accounts-locked-minutes = 失敗が続いたため、このアカウントのサインインは { $minutes } 分間ロックされます。
accounts-locked-more-minutes = 失敗が続いたため、このアカウントのサインインはあと { $minutes } 分間ロックされています。

# ワンタイムコードのページ（templates/code.html）。
code-title = ワンタイムコード
code-label = 認証アプリに表示されたコード
code-submit = サインイン
code-replayed = このコードはすでに使用されています。次のコードが表示されるまでお待ちのうえ、もう一度お試しください。
code-wrong = コードが正しくありません。認証アプリに現在表示されている 6 桁のコードを入力してください。

# 初回サインイン時の認証アプリの設定（templates/enrol.html）。
enrol-title = 認証アプリの設定
enrol-intro = この環境のアカウントはすべて二要素認証を使います。認証アプリでこのコードを読み取り（またはキーを入力し）、表示された 6 桁のコードを入力してください。
enrol-qr = 認証アプリ用キーの QR コード
enrol-key = キー：
enrol-submit = 確認してサインイン
enrol-expired = 設定の有効期限が切れました。もう一度サインインしてください。

# 自分のパスワードの設定（templates/password.html）。
password-title = パスワードの設定
password-set-by-admin = 現在のパスワードは管理者が設定したものです。続けるには、ご自身のパスワードを設定してください。
password-current = 現在のパスワード
password-new = 新しいパスワード（12 文字以上）
password-again = 新しいパスワード（確認）
password-save = パスワードを保存
password-differ = 2 つの新しいパスワードが一致しません
password-same = 現在のパスワードとは異なるパスワードを設定してください
password-current-wrong = 現在のパスワードが正しくありません
