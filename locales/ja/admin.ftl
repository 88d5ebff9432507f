# 管理者のページ。プラットフォームのロールと利用資格は accounts.ftl にあります。

# 共通：該当者のいないユーザー名（監査ログの絞り込み、ID の連携）。
admin-nobody-called = 「{ $name }」というユーザーはいません。

# 監査ログ（templates/admin_audit.html）。操作・対象・詳細はデータのまま表示します。
admin-audit-title = 監査ログ
admin-audit-filter-actor = 実行者（ユーザー名、system または anonymous）
admin-audit-filter-action = 操作（または先頭部分。例：signin）
admin-audit-filter-object = 対象（例：project:3）
admin-audit-filter-from = 開始日
admin-audit-filter-until = 終了日
admin-audit-show = 表示
admin-audit-verify = チェーン全体を検証
admin-audit-verified = チェーンの検証に成功しました：{ $entries } 件、最新のハッシュは { $hash } です。
admin-audit-broken = チェーンの検証に失敗しました：{ $reason }
admin-audit-col-when = 日時
admin-audit-col-who = 実行者
admin-audit-col-action = 操作
admin-audit-col-object = 対象
admin-audit-col-outcome = 結果
admin-audit-col-details = 詳細
# 記録の結果（audit::Outcome::as_str）。
admin-audit-outcome = { $outcome ->
    [success] 成功
    [denied] 拒否
   *[other] { $outcome }
}
admin-audit-none = 該当する記録はありません。
admin-audit-older = さらに古い記録

# 所属機関のサインインサービスからの ID（templates/admin_identities.html）。
admin-identities-title = 所属機関の ID
admin-identities-heading = 所属機関のサインインサービスからの ID
admin-identities-hint = 新しい ID は、利用者に連携するまでどこにもアクセスできません。連携する前に、本人であることを所属機関に確認してください。下に表示されるメールアドレスと氏名は所属機関のサービスから届いたもので、それだけで連携に使われることはありません。
admin-identities-col-service = サービス
admin-identities-col-subject = サブジェクト
admin-identities-col-given = 提示された氏名とメールアドレス
admin-identities-col-state = 状態
admin-identities-col-person = 利用者
admin-identities-col-last = 最終サインイン
admin-identities-col-action = 操作
# ID の状態（oidc::store::State::as_str）。
admin-identity-state = { $state ->
    [pending] 未連携
    [linked] 連携済み
    [blocked] ブロック済み
   *[other] { $state }
}
admin-identities-username = ユーザー名
admin-identities-link = 連携
admin-identities-unlink = 連携を解除
admin-identities-block = ブロック
admin-identities-none = 所属機関のサービスを通じてサインインした人はまだいません。

# 利用者の追加（templates/admin_new_person.html）。
admin-new-person-title = 利用者の追加
admin-new-person-username = ユーザー名
admin-new-person-name = 氏名
admin-new-person-roles = プラットフォームのロール
admin-new-person-create = アカウントを作成
admin-new-person-hint = 仮パスワードは一度だけ表示されます。本人は初回サインイン時に認証アプリを設定します。

# 利用者の一覧（templates/admin_people.html）。
admin-people-title = 利用者
admin-people-add = 利用者を追加
admin-people-col-username = ユーザー名
admin-people-col-name = 氏名
admin-people-col-roles = ロール
admin-people-col-authenticator = 認証アプリ
admin-people-col-accreditation = 利用資格
admin-people-mfa-enrolled = 登録済み
admin-people-mfa-pending = 次回サインイン時に設定

# 利用者ひとりのページ（templates/admin_person.html）。
admin-person-mfa-enrolled = 認証アプリ：登録済みです。
admin-person-mfa-pending = 認証アプリ：次回サインイン時に設定します。
# 利用資格の状態（有効期限、または無効な理由）の前と後。
admin-person-accreditation = 利用資格：
admin-person-accreditation-end = 。
admin-person-email = メールアドレス
admin-person-email-label = お知らせの送信先メールアドレス（空欄の場合はアプリ内のみ）
admin-person-save = 保存
admin-person-roles = プラットフォームのロール
admin-person-roles-save = ロールを保存
admin-person-training = 研修
admin-person-training-course = 研修名
admin-person-training-completed = 修了日
admin-person-training-expires = 有効期限
admin-person-training-none = 記録はありません。
admin-person-training-completed-on = 修了日
admin-person-training-expires-on = 有効期限
admin-person-training-record = 研修を記録
admin-person-declaration = 研究者の誓約
admin-person-declaration-signed = 版 { $version }、{ $date }に署名
admin-person-declaration-none = 署名されていません。
admin-person-declaration-version = 版
admin-person-declaration-signed-on = 署名日
admin-person-declaration-record = 誓約を記録
admin-person-declaration-future = 誓約の署名日を未来の日付にすることはできません
admin-person-credentials = 認証情報
admin-person-reset-password = パスワードをリセット
admin-person-reset-mfa = 認証アプリをリセット
admin-person-reset-hint = どちらをリセットしても、この人のセッションはすべて終了します。

# 一度だけ表示する仮パスワード（templates/admin_secret.html）。見出しは最初の 2 つのどちらかで、
# ハンドラーが選びます。
admin-secret-created = アカウントを作成しました
admin-secret-reset = パスワードをリセットしました
# ユーザー名（太字）の前と後に来る文の部分。
admin-secret-give-before = この仮パスワードを、別の経路で
admin-secret-give-after = さんに伝えてください。表示されるのはこの一度だけです。
admin-secret-continue = { $username } さんのページへ
